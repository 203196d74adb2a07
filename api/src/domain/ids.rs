//! Typed ids. Inside the service they are database integers; outside they are opaque strings
//! (`base64url("Facility:42")`) so that clients never build or compare them numerically.

use super::Invalid;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

macro_rules! typed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub struct $name(pub i64);

        impl $name {
            /// The opaque form clients see.
            pub fn encode(self) -> String {
                URL_SAFE_NO_PAD.encode(format!(concat!($prefix, ":{}"), self.0))
            }

            /// Reads the opaque form; anything else is invalid input.
            pub fn decode(opaque: &str) -> Result<Self, Invalid> {
                let malformed = || Invalid::new(format!(concat!("malformed ", $prefix, " id {:?}"), opaque));
                let bytes = URL_SAFE_NO_PAD.decode(opaque).map_err(|_| malformed())?;
                let text = String::from_utf8(bytes).map_err(|_| malformed())?;
                let number = text.strip_prefix(concat!($prefix, ":")).ok_or_else(malformed)?;
                match number.parse::<i64>() {
                    Ok(n) if n > 0 && number == n.to_string() => Ok(Self(n)),
                    _ => Err(malformed()),
                }
            }
        }
    };
}

typed_id!(FacilityId, "Facility");
typed_id!(ResidentialAreaId, "ResidentialArea");

/// A position in a keyset-paginated list (the id of the last row seen).
pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:{id}"))
}

pub fn decode_cursor(cursor: &str) -> Result<i64, Invalid> {
    let malformed = || Invalid::new(format!("malformed cursor {cursor:?}"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    text.strip_prefix("cursor:").and_then(|n| n.parse().ok()).ok_or_else(malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_kinds_and_garbage() {
        let id = FacilityId(42);
        assert_eq!(FacilityId::decode(&id.encode()), Ok(id));
        assert!(FacilityId::decode(&ResidentialAreaId(42).encode()).is_err());
        assert!(FacilityId::decode("42").is_err());
        assert!(FacilityId::decode("").is_err());
        assert!(FacilityId::decode(&URL_SAFE_NO_PAD.encode("Facility:-1")).is_err());
        assert!(FacilityId::decode(&URL_SAFE_NO_PAD.encode("Facility:007")).is_err());
        assert_eq!(decode_cursor(&encode_cursor(9)), Ok(9));
        assert!(decode_cursor("nope").is_err());
    }
}
