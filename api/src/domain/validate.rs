//! Rules shared by facilities and residential areas.

use super::Invalid;
use super::community_code::CommunityCode;

/// A required, trimmed, non-empty text of at most `max` characters without control characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, Invalid> {
    optional_text(field, Some(value), max)?.ok_or_else(|| Invalid::new(format!("{field} must not be empty")))
}

/// Characters that reorder the text around them: they can make a name display as something
/// else (a reversed file name, a spoofed address).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters with no glyph of their own: zero-width spaces and joiners, the byte-order mark,
/// the word joiner and soft hyphen.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// An optional text: trimmed; empty becomes absent, so that unset fields read back as null.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(Invalid::new(format!("{field} must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(format!("{field} must not contain control characters")));
    }
    if value.chars().any(is_bidi_control) {
        return Err(Invalid::new(format!(
            "{field} must not contain bidirectional control characters (U+202A-U+202E, U+2066-U+2069)"
        )));
    }
    if value.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(Invalid::new(format!("{field} must have a visible character")));
    }
    Ok(Some(value.to_owned()))
}

/// OpenStreetMap `opening_hours` syntax, as the evaluator reads it.
pub fn opening_hours(value: Option<&str>) -> Result<Option<String>, Invalid> {
    let hours = optional_text("openingHours", value, 500)?;
    if let Some(text) = &hours {
        super::hours::validate(text)?;
    }
    Ok(hours)
}

/// A 12-digit statistical division code (6-digit county, 3-digit township, 3-digit community).
pub fn community_code(value: Option<&str>) -> Result<Option<CommunityCode>, Invalid> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(CommunityCode::parse).transpose()
}

/// A prefix of a division code: 1 to 12 digits. Parents are prefixes of their children.
pub fn community_code_prefix(value: &str) -> Result<String, Invalid> {
    let prefix = value.trim();
    if prefix.is_empty() || prefix.len() > 12 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new(format!("communityCodePrefix must be 1 to 12 digits, got {value:?}")));
    }
    Ok(prefix.to_owned())
}

/// A telephone number: digits with the usual separators.
pub fn phone(value: Option<&str>) -> Result<Option<String>, Invalid> {
    let phone = optional_text("phone", value, 40)?;
    if let Some(p) = &phone
        && !p.chars().all(|c| c.is_ascii_digit() || " +-()#".contains(c))
    {
        return Err(Invalid::new(format!("phone may contain only digits, spaces and + - ( ) #, got {p:?}")));
    }
    Ok(phone)
}

/// A count that cannot be negative.
pub fn non_negative(field: &str, value: i32) -> Result<i32, Invalid> {
    if value < 0 {
        return Err(Invalid::new(format!("{field} must not be negative, got {value}")));
    }
    Ok(value)
}

/// A finite amount of money in yuan, from 0 to 10,000.
pub fn price_yuan(field: &str, value: f64) -> Result<f64, Invalid> {
    if !value.is_finite() || !(0.0..=10_000.0).contains(&value) {
        return Err(Invalid::new(format!("{field} must be between 0 and 10000 yuan, got {value}")));
    }
    Ok(value)
}

/// Free service tags: trimmed, non-empty, at most 64 characters each and 50 in all; the given
/// order is kept and repeats are dropped.
pub fn service_tags(tags: &[String]) -> Result<Vec<String>, Invalid> {
    // Refused before any work: repeats are forgiven, a list built to be slow is not.
    if tags.len() > MAX_TAGS_GIVEN {
        return Err(Invalid::new(format!("at most {MAX_TAGS} service tags (got a list of {})", tags.len())));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len().min(MAX_TAGS));
    for tag in tags {
        let tag = required_text("a service tag", tag, 64)?;
        if !out.contains(&tag) {
            if out.len() == MAX_TAGS {
                return Err(Invalid::new(format!("at most {MAX_TAGS} service tags")));
            }
            out.push(tag);
        }
    }
    Ok(out)
}

/// Distinct service tags a facility or filter may name.
const MAX_TAGS: usize = 50;
/// Tags a list may hold, repeats included.
const MAX_TAGS_GIVEN: usize = 4 * MAX_TAGS;

/// Drops repeated values, keeping the first occurrence's position.
pub fn dedup_keep_order<T: PartialEq + Copy>(values: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(values.len());
    for &v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_empty_optional_texts_become_absent() {
        assert_eq!(required_text("name", "  a ", 5), Ok("a".into()));
        assert!(required_text("name", "   ", 5).is_err());
        assert!(required_text("name", "abcdef", 5).is_err());
        assert_eq!(optional_text("address", Some(""), 5), Ok(None));
        assert!(optional_text("address", Some("a\u{0}b"), 5).is_err());
    }

    #[test]
    fn community_codes_are_twelve_digits() {
        assert_eq!(community_code(Some("640104001001")).unwrap().as_deref(), Some("640104001001"));
        assert!(community_code(Some("64010400100")).is_err());
        assert!(community_code(Some("64010400100a")).is_err());
        assert!(community_code_prefix("6401").is_ok());
        assert!(community_code_prefix("").is_err());
        assert!(community_code_prefix("6401040010011").is_err());
    }

    #[test]
    fn texts_need_a_visible_character_and_no_reordering() {
        assert!(required_text("name", "\u{200B}\u{200D}\u{FEFF}", 10).is_err());
        assert!(required_text("name", "abc\u{202E}gpj.exe", 20).is_err());
        assert!(required_text("name", "\u{2067}x", 20).is_err());
        // Joiners inside visible text are fine (emoji sequences, Indic scripts).
        assert_eq!(required_text("name", "食堂\u{200D}一", 10), Ok("食堂\u{200D}一".to_owned()));
    }

    #[test]
    fn service_tags_keep_order_without_repeats() {
        let tags = ["TEA", "HOT_WATER", "TEA"].map(String::from);
        assert_eq!(service_tags(&tags), Ok(vec!["TEA".to_string(), "HOT_WATER".to_string()]));
        assert!(service_tags(&[" ".to_string()]).is_err());
    }
}
