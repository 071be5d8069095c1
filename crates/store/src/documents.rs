//! Documents of applications: one row per application and slot, holding the keys of its
//! sealed objects in the blob store. Callers check who may reach the application first.

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRecord {
    pub id: i64,
    pub application_id: i64,
    pub slot: String,
    pub object_key: String,
    pub wrapped_key: Vec<u8>,
    pub thumbnail_key: String,
    pub thumbnail_wrapped_key: Vec<u8>,
    pub sha256: String,
    pub size: i64,
    pub width: i64,
    pub height: i64,
    pub uploaded_by: String,
    pub created_at: i64,
}

const SELECT: &str = "SELECT id, application_id, slot, object_key, wrapped_key, thumbnail_key, \
    thumbnail_wrapped_key, sha256, size, width, height, uploaded_by, created_at FROM documents";

/// A new document.
pub struct NewDocument<'a> {
    pub application_id: i64,
    pub slot: &'a str,
    pub object_key: &'a str,
    pub wrapped_key: &'a [u8],
    pub thumbnail_key: &'a str,
    pub thumbnail_wrapped_key: &'a [u8],
    pub sha256: &'a str,
    pub size: i64,
    pub width: i64,
    pub height: i64,
    pub uploaded_by: &'a str,
}

/// Puts `new` in its slot; returns the document it replaces, whose row is gone (its
/// objects are for the caller to remove after the commit).
pub async fn replace(
    tx: &mut WriteTx,
    new: &NewDocument<'_>,
) -> Result<Option<DocumentRecord>, StoreError> {
    let old: Option<DocumentRecord> =
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1 AND slot = $2"))
            .bind(new.application_id)
            .bind(new.slot)
            .fetch_optional(&mut ***tx)
            .await?;
    if let Some(old) = &old {
        sqlx::query("DELETE FROM documents WHERE id = $1")
            .bind(old.id)
            .execute(&mut ***tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO documents (application_id, slot, object_key, wrapped_key, thumbnail_key, \
         thumbnail_wrapped_key, sha256, size, width, height, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(new.application_id)
    .bind(new.slot)
    .bind(new.object_key)
    .bind(new.wrapped_key)
    .bind(new.thumbnail_key)
    .bind(new.thumbnail_wrapped_key)
    .bind(new.sha256)
    .bind(new.size)
    .bind(new.width)
    .bind(new.height)
    .bind(new.uploaded_by)
    .bind(tx.now().seconds())
    .execute(&mut ***tx)
    .await?;
    Ok(old)
}

/// The document in `slot` of application `application_id`.
pub async fn find(
    store: &Store,
    application_id: i64,
    slot: &str,
) -> Result<Option<DocumentRecord>, StoreError> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1 AND slot = $2"))
            .bind(application_id)
            .bind(slot)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Removes every document of an application; returns the rows (their objects are for the
/// caller to remove after the commit).
pub async fn delete_all_of(
    tx: &mut WriteTx,
    application_id: i64,
) -> Result<Vec<DocumentRecord>, StoreError> {
    let rows: Vec<DocumentRecord> =
        sqlx::query_as(&format!("{SELECT} WHERE application_id = $1 ORDER BY id"))
            .bind(application_id)
            .fetch_all(&mut ***tx)
            .await?;
    sqlx::query("DELETE FROM documents WHERE application_id = $1")
        .bind(application_id)
        .execute(&mut ***tx)
        .await?;
    Ok(rows)
}
