//! JSON text in AWS response shapes.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::FfiError;

fn value<T: Serialize>(item: &T) -> Result<Value, FfiError> {
    serde_json::to_value(item).map_err(|e| {
        FfiError::from(keystead_core::Error::new(
            keystead_core::ErrorKind::Internal,
            format!("JSON encoding failed: {e}"),
        ))
    })
}

/// `{ "<field>": <item> }`, e.g. `{"KeyMetadata": {...}}`.
pub(crate) fn wrap<T: Serialize>(field: &str, item: &T) -> Result<String, FfiError> {
    let mut map = Map::new();
    map.insert(field.to_owned(), value(item)?);
    Ok(Value::Object(map).to_string())
}

/// An object as is, e.g. `GetKeyRotationStatus`'s response.
pub(crate) fn plain<T: Serialize>(item: &T) -> Result<String, FfiError> {
    Ok(value(item)?.to_string())
}

/// A page: `{ "<field>": [...], "NextMarker": "...", "Truncated": bool }` (`NextMarker` only
/// when more remain), as AWS's List* responses.
pub(crate) fn page<T: Serialize>(field: &str, page: &keystead_core::Page<T>) -> Result<String, FfiError> {
    let mut map = Map::new();
    map.insert(field.to_owned(), value(&page.items)?);
    if let Some(marker) = &page.next_marker {
        map.insert("NextMarker".into(), Value::String(marker.clone()));
    }
    map.insert("Truncated".into(), Value::Bool(page.truncated()));
    Ok(Value::Object(map).to_string())
}
