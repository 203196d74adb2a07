//! A community's statistical division code (统计用区划代码): 12 ASCII digits, 6 for the
//! county, 3 for the township and 3 for the community. Held inline in 12 bytes, because a
//! province holds millions of residential areas and facilities, each with a code.

use super::Invalid;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommunityCode([u8; 12]);

impl CommunityCode {
    /// The code in `text` (surrounding spaces ignored), when it is exactly 12 digits.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let code = text.trim();
        match <[u8; 12]>::try_from(code.as_bytes()) {
            Ok(digits) if digits.iter().all(u8::is_ascii_digit) => Ok(Self(digits)),
            _ => Err(Invalid::new(format!("communityCode must be 12 digits, got {code:?}"))),
        }
    }

    /// The code of community `community` of township `township` of county `county` (each
    /// taken modulo its width: 6, 3 and 3 digits).
    pub fn from_parts(county: u32, township: u32, community: u32) -> Self {
        let mut digits = [b'0'; 12];
        for (at, width, mut value) in [(0, 6, county), (6, 3, township), (9, 3, community)] {
            for d in digits[at..at + width].iter_mut().rev() {
                *d = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        Self(digits)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored (see `parse`), so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::ops::Deref for CommunityCode {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for CommunityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for CommunityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CommunityCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CommunityCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digits_read_back_as_written_and_sort_as_text() {
        let a = CommunityCode::parse(" 640104001001 ").unwrap();
        assert_eq!(a.as_str(), "640104001001");
        assert_eq!(CommunityCode::from_parts(640104, 1, 1), a);
        assert_eq!(CommunityCode::from_parts(1_640104, 1002, 7).as_str(), "640104002007");
        assert!(a.starts_with("6401"));
        let b = CommunityCode::parse("640104001010").unwrap();
        assert_eq!(a.cmp(&b), a.as_str().cmp(b.as_str()));
        for bad in ["64010400100", "6401040010011", "64010400100a", "６４０１０４００１００１", ""] {
            assert!(CommunityCode::parse(bad).is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"640104001001\"");
        assert_eq!(serde_json::from_str::<CommunityCode>(&json).unwrap(), a);
        assert!(serde_json::from_str::<CommunityCode>("\"1\"").is_err());
    }
}
