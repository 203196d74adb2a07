//! What a document must pass before it runs: a size, a number of fields and a cost budget.
//!
//! The size and field checks come before validation, whose work grows with the document (and
//! faster than linearly for many fields of one name), so a megabyte of `{x x x ...}` is turned
//! away in microseconds. The cost budget is checked by async-graphql's validation with the
//! field costs of `cost`; only when it refuses is the document measured again, by a schema
//! that stops after validation, to tell the client what it cost. (A measuring extension on the
//! serving schema would wrap every field of every request in a hook chain.)

use super::cost::over_budget;
use super::{Mutation, Query, QueryLimits, Subscription};
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, Response, Schema, ServerError, ValidationResult, Variables};
use hashlink::LruCache;
use std::sync::{Arc, Mutex};

/// async-graphql's message when `limit_complexity` refuses a document.
const TOO_COMPLEX: &str = "Query is too complex.";

/// The admission checks of one schema.
pub struct Admission {
    limits: QueryLimits,
    probe: Schema<Query, Mutation, Subscription>,
    types: super::nulls::FieldTypes,
    /// Recently parsed documents by their text: a map or an app sends the same few documents
    /// over and over with other variables.
    documents: Mutex<LruCache<String, ExecutableDocument>>,
}

/// Documents kept parsed, and the longest kept: at most a few megabytes of syntax trees, and an
/// attacker sending ever new documents only evicts.
const CACHED_DOCUMENTS: usize = 256;
const CACHED_DOCUMENT_BYTES: usize = 4096;

/// What the cost probe needs of a request, kept before the request is executed.
pub struct Retained {
    query: String,
    variables: Variables,
    operation_name: Option<String>,
}

impl Retained {
    pub fn query(&self) -> &str {
        &self.query
    }
}

impl Admission {
    pub fn new(limits: QueryLimits) -> Self {
        let probe = Schema::build(Query::default(), Mutation::default(), Subscription).extension(MeasureCost).finish();
        let types = super::nulls::FieldTypes::from_sdl(&probe.sdl());
        Self { limits, probe, types, documents: Mutex::new(LruCache::new(CACHED_DOCUMENTS)) }
    }

    /// Refuses a document that is too long or names too many fields; parses it once, for the
    /// execution too (or takes it from the documents parsed lately).
    pub fn admit(&self, request: &mut Request) -> Result<(), Box<Response>> {
        if request.query.len() > self.limits.document_bytes {
            return Err(Box::new(refusal(
                format!(
                    "the document is {} bytes, more than the {} allowed; send data as variables",
                    request.query.len(),
                    self.limits.document_bytes
                ),
                None,
            )));
        }
        let cached = self.documents().get(&request.query).cloned();
        let document = match cached {
            Some(document) => document,
            None => {
                // A document that does not parse is reported by the execution, with its position.
                let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
                    return Ok(());
                };
                if request.query.len() <= CACHED_DOCUMENT_BYTES {
                    self.documents().insert(request.query.clone(), document.clone());
                }
                document
            }
        };
        let fields = written_fields(&document);
        request.set_parsed_query(document);
        if fields > self.limits.fields {
            return Err(Box::new(refusal(
                format!("the document has {fields} fields, more than the {} allowed", self.limits.fields),
                None,
            )));
        }
        Ok(())
    }

    fn documents(&self) -> std::sync::MutexGuard<'_, LruCache<String, ExecutableDocument>> {
        self.documents.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What the probe needs if the budget refuses the request.
    pub fn retain(request: &Request) -> Retained {
        Retained {
            query: request.query.clone(),
            variables: request.variables.clone(),
            operation_name: request.operation_name.clone(),
        }
    }

    /// `response`, or, when the cost budget refused it, the refusal with the document's cost.
    pub async fn explain(&self, response: Response, retained: &Retained) -> Response {
        let refused = response.errors.len() == 1 && response.errors[0].message == TOO_COMPLEX;
        if !refused {
            return response;
        }
        let mut probe = Request::new(retained.query.clone()).variables(retained.variables.clone());
        if let Some(name) = &retained.operation_name {
            probe = probe.operation_name(name.clone());
        }
        let measured = self.probe.execute(probe).await;
        let cost = measured.errors.first().and_then(|e| e.extensions.as_ref()?.get(COST)).and_then(|v| match v {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        });
        match cost {
            Some(cost) => {
                let cost = usize::try_from(cost).unwrap_or(usize::MAX);
                refusal(over_budget(cost, self.limits.cost).0, Some((cost, self.limits.cost)))
            }
            // The document has other faults, which async-graphql reports only once it is
            // within budget: report those.
            None => measured,
        }
    }
}

impl Admission {
    /// `response` with field errors nulling what the specification says they null.
    pub fn propagate_nulls(&self, response: Response, retained: &Retained) -> Response {
        super::nulls::propagate(response, &retained.query, retained.operation_name.as_deref(), &self.types)
    }
}

const COST: &str = "cost";

/// A `GRAPHQL_VALIDATION_FAILED` response without `data`.
fn refusal(message: String, cost: Option<(usize, usize)>) -> Response {
    let mut error = ServerError::new(message, None);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", crate::error_code::ErrorCode::GraphqlValidationFailed.as_str());
    if let Some((cost, budget)) = cost {
        extensions.set(COST, cost as u64);
        extensions.set("budget", budget as u64);
    }
    Response::from_errors(vec![error])
}

/// Fields written in the document's operations and fragments, each counted where it is
/// written (a fragment spread many times counts once here; the cost counts every use).
fn written_fields(document: &ExecutableDocument) -> usize {
    fn count(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => 1 + count(&f.node.selection_set.node),
                Selection::InlineFragment(f) => count(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = document.operations.iter().map(|(_, op)| count(&op.node.selection_set.node)).sum();
    let fragments: usize = document.fragments.values().map(|f| count(&f.node.selection_set.node)).sum();
    operations + fragments
}

/// Validates, records the document's cost in the response's extensions, and stops.
struct MeasureCost;

impl ExtensionFactory for MeasureCost {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MeasureCost)
    }
}

#[async_trait::async_trait]
impl Extension for MeasureCost {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let mut stop = ServerError::new("measured", None);
        stop.extensions.get_or_insert_with(Default::default).set(COST, result.complexity as u64);
        Err(vec![stop])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_parsed_once_and_the_cache_stays_bounded() {
        let admission = Admission::new(QueryLimits::default());
        let admit = |query: String| {
            let mut request = Request::new(query);
            assert!(admission.admit(&mut request).is_ok());
            assert!(request.parsed_query().is_ok());
        };
        admit("{ __typename }".to_owned());
        admit("{ __typename }".to_owned());
        assert_eq!(admission.documents().len(), 1);
        assert!(admission.documents().contains_key("{ __typename }"));
        let long = format!("{{ __typename {} }}", "a: __typename ".repeat(CACHED_DOCUMENT_BYTES / 14));
        assert!(long.len() > CACHED_DOCUMENT_BYTES);
        admit(long.clone());
        assert!(!admission.documents().contains_key(&long), "long documents are not kept");
        for i in 0..2 * CACHED_DOCUMENTS {
            admit(format!("{{ a{i}: __typename }}"));
        }
        assert_eq!(admission.documents().len(), CACHED_DOCUMENTS);
        assert!(!admission.documents().contains_key("{ __typename }"), "the least recent is dropped");
    }

    #[test]
    fn fields_are_counted_where_written() {
        let doc = async_graphql::parser::parse_query(
            "query { a { b c } ...F ... on Query { d } } fragment F on Query { e { f } }",
        )
        .unwrap();
        assert_eq!(written_fields(&doc), 6);
    }
}
