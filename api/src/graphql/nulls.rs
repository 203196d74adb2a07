//! Null propagation as the GraphQL specification defines it (section 6.4.4, "Handling Field
//! Errors"), applied to async-graphql's responses, which do not: there an errored field is left
//! out of its object (instead of being null), an object whose fields all errored becomes null
//! (even where the schema says it cannot be), and an error in a non-null field does not null
//! its nearest nullable ancestor.
//!
//! Each error with a path names the field (or list item) that failed. That position becomes
//! null; if its type is non-null, the null moves to its parent, and so on up to the first
//! position that may be null (or to `data` itself). Types come from the schema's SDL and the
//! document's selections (aliases and fragments included). Only responses with field errors
//! are touched, so the cost falls on rare requests.

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet, ServiceDocument, Type,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, PathSegment, Response, Value};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// The type of every field of every object type of a schema.
#[derive(Debug, Default)]
pub struct FieldTypes {
    objects: HashMap<String, HashMap<String, Type>>,
    roots: [Option<String>; 3],
}

impl FieldTypes {
    pub fn from_sdl(sdl: &str) -> Self {
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return Self::default();
        };
        Self::from_document(&document)
    }

    fn from_document(document: &ServiceDocument) -> Self {
        let mut types = Self {
            roots: [Some("Query".into()), Some("Mutation".into()), Some("Subscription".into())],
            ..Self::default()
        };
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Type(t) => {
                    let fields = match &t.node.kind {
                        TypeKind::Object(o) => &o.fields,
                        TypeKind::Interface(i) => &i.fields,
                        _ => continue,
                    };
                    let fields =
                        fields.iter().map(|f| (f.node.name.node.to_string(), f.node.ty.node.clone())).collect();
                    types.objects.insert(t.node.name.node.to_string(), fields);
                }
                TypeSystemDefinition::Schema(s) => {
                    let name = |n: &Option<async_graphql::Positioned<Name>>| n.as_ref().map(|n| n.node.to_string());
                    types.roots = [name(&s.node.query), name(&s.node.mutation), name(&s.node.subscription)];
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        types
    }

    fn root(&self, kind: OperationType) -> Option<&str> {
        let i = match kind {
            OperationType::Query => 0,
            OperationType::Mutation => 1,
            OperationType::Subscription => 2,
        };
        self.roots[i].as_deref()
    }
}

/// Applies null propagation to `response` for the operation of `query` it answers.
pub fn propagate(mut response: Response, query: &str, operation: Option<&str>, types: &FieldTypes) -> Response {
    if response.errors.iter().all(|e| e.path.is_empty()) {
        return response;
    }
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return response;
    };
    let Some((kind, selection)) = chosen_operation(&document, operation) else {
        return response;
    };
    let Some(root) = types.root(kind) else {
        return response;
    };
    let walk = Walk { document: &document, types, orders: Default::default() };
    let mut targets: Vec<Vec<Step>> = response
        .errors
        .iter()
        .filter(|e| !e.path.is_empty())
        .filter_map(|e| walk.nullable_prefix(root, selection, &e.path))
        .collect();
    targets.sort_by_key(Vec::len);
    // Each a handful of lookups per error, so that a thousand failing aliases stay cheap.
    let mut nulled: HashSet<String> = HashSet::new();
    let mut touched: HashMap<String, (Vec<PathSegment>, Order)> = HashMap::new();
    for target in targets {
        let segments: Vec<PathSegment> = target.iter().map(|s| s.segment.clone()).collect();
        if (0..=segments.len()).any(|n| nulled.contains(&path_key(&segments[..n]))) {
            continue;
        }
        if target.is_empty() {
            response.data = Value::Null;
            return response;
        }
        set_null(&mut response.data, &segments);
        for (i, step) in target.iter().enumerate() {
            if let Some(order) = &step.order {
                touched.entry(path_key(&segments[..i])).or_insert_with(|| (segments[..i].to_vec(), Rc::clone(order)));
            }
        }
        nulled.insert(path_key(&segments));
    }
    // async-graphql inserts sibling fields as they finish, not as they are selected: put the
    // keys of every object on an error's path back in the document's order.
    for (parent, order) in touched.into_values() {
        if let Some(Value::Object(map)) = value_at(&mut response.data, &parent) {
            let rank = |k: &Name| order.get(k.as_str()).copied().unwrap_or(usize::MAX);
            map.sort_by(|a, _, b, _| rank(a).cmp(&rank(b)));
        }
    }
    response
}

/// A path as one string, for sets of paths.
fn path_key(path: &[PathSegment]) -> String {
    let mut key = String::new();
    for segment in path {
        match segment {
            PathSegment::Field(name) => key.push_str(name),
            PathSegment::Index(i) => key.push_str(&i.to_string()),
        }
        key.push('\u{1}');
    }
    key
}

/// The value at `path`, if there is one.
fn value_at<'v>(data: &'v mut Value, path: &[PathSegment]) -> Option<&'v mut Value> {
    let mut here = data;
    for segment in path {
        here = match (segment, here) {
            (PathSegment::Field(key), Value::Object(map)) => map.get_mut(key.as_str())?,
            (PathSegment::Index(i), Value::List(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(here)
}

fn chosen_operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<(OperationType, &'d SelectionSet)> {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        _ => return None,
    };
    Some((operation.node.ty, &operation.node.selection_set.node))
}

/// The position of each response key an object holds, in the order the document selects them
/// (the order a response keeps).
type Order = Rc<HashMap<String, usize>>;

/// One step of a path to a value; a field's step knows the order of its object's keys.
#[derive(Clone, Debug)]
struct Step {
    segment: PathSegment,
    order: Option<Order>,
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    types: &'a FieldTypes,
    /// Key orders already worked out, by the selection sets they come from.
    orders: RefCell<HashMap<Vec<usize>, Order>>,
}

impl Walk<'_> {
    /// The longest prefix of `path` (the error's position or an ancestor) that may be null;
    /// the empty prefix means `data` itself. None when the path cannot be followed.
    fn nullable_prefix(&self, root: &str, selection: &SelectionSet, path: &[PathSegment]) -> Option<Vec<Step>> {
        let mut steps = Vec::with_capacity(path.len());
        let mut nullable = Vec::with_capacity(path.len());
        let mut parent = root.to_owned();
        let mut sets = vec![selection];
        let mut ty: Option<Type> = None;
        for segment in path {
            match segment {
                PathSegment::Field(key) => {
                    let order = self.response_order(&sets);
                    let fields = self.fields_with_key(&sets, key);
                    let name = fields.first()?.node.name.node.to_string();
                    let field_type = self.types.objects.get(&parent)?.get(&name)?.clone();
                    nullable.push(field_type.nullable);
                    steps.push(Step { segment: segment.clone(), order: Some(order) });
                    sets = fields.iter().map(|f| &f.node.selection_set.node).collect();
                    parent = named(&field_type).to_owned();
                    ty = Some(field_type);
                }
                PathSegment::Index(_) => {
                    let BaseType::List(item) = &ty.as_ref()?.base else { return None };
                    nullable.push(item.nullable);
                    steps.push(Step { segment: segment.clone(), order: None });
                    ty = Some((**item).clone());
                }
            }
        }
        let keep = nullable.iter().rposition(|&n| n).map_or(0, |i| i + 1);
        steps.truncate(keep);
        Some(steps)
    }

    /// The position of each response key `sets` select, in document order.
    fn response_order(&self, sets: &[&SelectionSet]) -> Order {
        let id: Vec<usize> = sets.iter().map(|s| std::ptr::from_ref::<SelectionSet>(s) as usize).collect();
        if let Some(order) = self.orders.borrow().get(&id) {
            return Rc::clone(order);
        }
        let mut keys: HashMap<String, usize> = HashMap::new();
        let mut visits = 0;
        fn collect(walk: &Walk<'_>, set: &SelectionSet, keys: &mut HashMap<String, usize>, visits: &mut usize) {
            *visits += 1;
            if *visits > 10_000 {
                return;
            }
            for item in &set.items {
                match &item.node {
                    Selection::Field(f) => {
                        let key = f.node.response_key().node.as_str();
                        let next = keys.len();
                        keys.entry(key.to_owned()).or_insert(next);
                    }
                    Selection::InlineFragment(f) => collect(walk, &f.node.selection_set.node, keys, visits),
                    Selection::FragmentSpread(s) => {
                        if let Some(fragment) = walk.document.fragments.get(&s.node.fragment_name.node) {
                            collect(walk, &fragment.node.selection_set.node, keys, visits);
                        }
                    }
                }
            }
        }
        for set in sets {
            collect(self, set, &mut keys, &mut visits);
        }
        let order = Rc::new(keys);
        self.orders.borrow_mut().insert(id, Rc::clone(&order));
        order
    }

    /// Every field selected under `key` in `sets`, fragments followed.
    fn fields_with_key<'s>(
        &'s self,
        sets: &[&'s SelectionSet],
        key: &str,
    ) -> Vec<&'s async_graphql::Positioned<async_graphql::parser::types::Field>> {
        let mut found = Vec::new();
        let mut stack: Vec<&SelectionSet> = sets.to_vec();
        let mut depth = 0;
        while let Some(set) = stack.pop() {
            depth += 1;
            if depth > 10_000 {
                break;
            }
            for item in &set.items {
                match &item.node {
                    Selection::Field(f) if f.node.response_key().node == key => found.push(f),
                    Selection::Field(_) => {}
                    Selection::InlineFragment(f) => stack.push(&f.node.selection_set.node),
                    Selection::FragmentSpread(s) => {
                        if let Some(fragment) = self.document.fragments.get(&s.node.fragment_name.node) {
                            stack.push(&fragment.node.selection_set.node);
                        }
                    }
                }
            }
        }
        found
    }
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

/// Sets the value at `path` to null, making the objects on the way where async-graphql left
/// a null for an object all of whose fields failed.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let mut here = data;
    for (i, segment) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        match segment {
            PathSegment::Field(key) => {
                if !matches!(here, Value::Object(_)) {
                    *here = Value::Object(Default::default());
                }
                let Value::Object(map) = here else { return };
                if !map.contains_key(key.as_str()) {
                    map.insert(Name::new(key), Value::Null);
                }
                let Some(slot) = map.get_mut(key.as_str()) else { return };
                if last {
                    *slot = Value::Null;
                    return;
                }
                here = slot;
            }
            PathSegment::Index(index) => {
                let Value::List(items) = here else { return };
                let Some(slot) = items.get_mut(*index) else { return };
                if last {
                    *slot = Value::Null;
                    return;
                }
                here = slot;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::ServerError;

    const SDL: &str = "type Query { a: A, b: A!, list: [A!], items: [A]!, n: Int }
        type A { x: Int, y: Int!, inner: A, must: A! }";

    fn response(data: serde_json::Value, paths: &[&[PathSegment]]) -> Response {
        let mut r = Response::new(Value::from_json(data).unwrap());
        for path in paths {
            let mut e = ServerError::new("boom", None);
            e.path = path.to_vec();
            r.errors.push(e);
        }
        r
    }

    fn f(key: &str) -> PathSegment {
        PathSegment::Field(key.to_owned())
    }

    fn run(query: &str, data: serde_json::Value, paths: &[&[PathSegment]]) -> serde_json::Value {
        let types = FieldTypes::from_sdl(SDL);
        propagate(response(data, paths), query, None, &types).data.into_json().unwrap()
    }

    #[test]
    fn a_nullable_field_that_failed_is_null_not_missing() {
        let got = run("{ a { x y } n }", serde_json::json!({ "a": { "y": 1 }, "n": 2 }), &[&[f("a"), f("x")]]);
        assert_eq!(got, serde_json::json!({ "a": { "x": null, "y": 1 }, "n": 2 }));
        let keys: Vec<&String> = got["a"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["x", "y"], "in the document's order");
    }

    #[test]
    fn a_non_null_failure_nulls_the_nearest_nullable_ancestor() {
        let got = run(
            "{ a { inner { y } } n }",
            serde_json::json!({ "a": { "inner": null }, "n": 2 }),
            &[&[f("a"), f("inner"), f("y")]],
        );
        assert_eq!(got, serde_json::json!({ "a": { "inner": null }, "n": 2 }));
        let got =
            run("{ a { must { y } x } }", serde_json::json!({ "a": { "x": 1 } }), &[&[f("a"), f("must"), f("y")]]);
        assert_eq!(got, serde_json::json!({ "a": null }));
    }

    #[test]
    fn list_items_propagate_by_their_own_nullability() {
        // [A!]: a failed non-null item nulls the whole (nullable) list.
        let data = serde_json::json!({ "list": [{ "y": 1 }, null] });
        let got = run("{ list { y } }", data, &[&[f("list"), PathSegment::Index(1), f("y")]]);
        assert_eq!(got, serde_json::json!({ "list": null }));
        // [A]!: a nullable item takes the null itself.
        let data = serde_json::json!({ "items": [{ "y": 1 }, null] });
        let got = run("{ items { y } }", data, &[&[f("items"), PathSegment::Index(1), f("y")]]);
        assert_eq!(got, serde_json::json!({ "items": [{ "y": 1 }, null] }));
    }

    #[test]
    fn a_thousand_failing_aliases_are_each_null_in_document_order() {
        let query: String = format!("{{ {} }}", (0..1_000).map(|i| format!("f{i}: a {{ y }}")).collect::<String>());
        // As async-graphql answers: every object null (each of its fields failed), keys in
        // completion order (here the reverse). Checked on the response's own ordered map.
        let data: async_graphql::indexmap::IndexMap<Name, Value> =
            (0..1_000).rev().map(|i| (Name::new(format!("f{i}")), Value::Null)).collect();
        let mut response = Response::new(Value::Object(data));
        for i in 0..1_000 {
            let mut e = ServerError::new("boom", None);
            e.path = vec![f(&format!("f{i}")), f("y")];
            response.errors.push(e);
        }
        let got = propagate(response, &query, None, &FieldTypes::from_sdl(SDL)).data;
        let Value::Object(map) = got else { panic!("{got:?}") };
        assert_eq!(map.len(), 1_000);
        assert!(map.keys().enumerate().all(|(i, k)| k.as_str() == format!("f{i}")), "document order");
        assert!(map.values().all(|v| *v == Value::Null));
    }

    #[test]
    fn a_failure_reaching_the_root_nulls_data_and_aliases_and_fragments_are_followed() {
        let got = run("{ b { y } }", serde_json::json!(null), &[&[f("b"), f("y")]]);
        assert_eq!(got, serde_json::json!(null));
        let q = "query { first: a { ...F } } fragment F on A { ... on A { renamed: x } }";
        let got = run(q, serde_json::json!({ "first": null }), &[&[f("first"), f("renamed")]]);
        assert_eq!(got, serde_json::json!({ "first": { "renamed": null } }));
    }
}
