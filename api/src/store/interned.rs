//! Texts shared between the rows that carry them: every facility and residential area records
//! the token that wrote it, and a province's million rows name a handful of tokens, use a few
//! hundred opening hours and a few combinations of service tags.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Arc, LazyLock, Mutex};

/// Beyond this many distinct names each new one is simply allocated: the set cannot grow
/// without bound, and real deployments have far fewer tokens.
const MAX_SHARED: usize = 4_096;

static TEXTS: LazyLock<Mutex<HashSet<Arc<str>>>> = LazyLock::new(Mutex::default);
static TAG_LISTS: LazyLock<Mutex<HashSet<Arc<[String]>>>> = LazyLock::new(Mutex::default);

/// `name` as a shared string, the same allocation for every equal name.
pub(super) fn author(name: &str) -> Arc<str> {
    shared(&TEXTS, name)
}

/// An opening-hours text as a shared string: facilities of one operator share their hours.
pub(super) fn hours(text: &str) -> Arc<str> {
    shared(&TEXTS, text)
}

/// A facility's service tags as a shared list: a handful of combinations recur.
pub(super) fn tags(tags: &[String]) -> Arc<[String]> {
    shared(&TAG_LISTS, tags)
}

fn shared<T: ?Sized + Eq + Hash>(set: &Mutex<HashSet<Arc<T>>>, value: &T) -> Arc<T>
where
    Arc<T>: for<'a> From<&'a T>,
{
    let mut set = set.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(shared) = set.get(value) {
        return Arc::clone(shared);
    }
    let shared: Arc<T> = Arc::from(value);
    if set.len() < MAX_SHARED {
        set.insert(Arc::clone(&shared));
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_allocation() {
        let a = author("import token");
        let b = author(&String::from("import token"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &author("admin")));
    }
}
