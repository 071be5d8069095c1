//! Operators (RA staff) of the console.

use domain::Roles;

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone)]
pub struct OperatorRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: Roles,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for OperatorRecord {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(OperatorRecord {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            password_hash: row.try_get("password_hash")?,
            roles: crate::stored(row, "roles")?,
            disabled_at: row.try_get("disabled_at")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

const SELECT: &str = "SELECT id, username, display_name, password_hash, roles, disabled_at, created_at FROM operators";

/// Creates an operator; `None` when the username is taken.
pub async fn insert(
    tx: &mut WriteTx,
    username: &str,
    display_name: &str,
    password_hash: &str,
    roles: &Roles,
) -> Result<Option<i64>, StoreError> {
    let now = tx.now().seconds();
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO operators (username, display_name, password_hash, roles, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(roles.to_text())
    .bind(now)
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(row.map(|(id,)| id))
}

pub async fn count(store: &Store) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM operators")
        .fetch_one(store.pool())
        .await?;
    Ok(n)
}

pub async fn find_by_username(
    store: &Store,
    username: &str,
) -> Result<Option<OperatorRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE username = $1"))
        .bind(username)
        .fetch_optional(store.pool())
        .await?)
}

pub async fn find_by_id(store: &Store, id: i64) -> Result<Option<OperatorRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

pub async fn list(store: &Store) -> Result<Vec<OperatorRecord>, StoreError> {
    Ok(sqlx::query_as(&format!("{SELECT} ORDER BY id"))
        .fetch_all(store.pool())
        .await?)
}

/// Active operators holding the administrator role (roles are stored comma-separated).
const ACTIVE_ADMINS: &str = "disabled_at IS NULL AND (',' || roles || ',') LIKE '%,admin,%'";

/// Locks every active administrator's row until the transaction ends, so that two changes
/// that each leave "another" administrator cannot both commit (on PostgreSQL a row lock;
/// SQLite has one writer). Then [`count_active_admins`] sees the other's committed change.
pub async fn lock_active_admins(tx: &mut WriteTx) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "UPDATE operators SET roles = roles WHERE {ACTIVE_ADMINS}"
    ))
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// How many active administrators there are, as this transaction sees it.
pub async fn count_active_admins(tx: &mut WriteTx) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM operators WHERE {ACTIVE_ADMINS}"
    ))
    .fetch_one(&mut ***tx)
    .await?;
    Ok(n)
}

pub async fn set_roles(tx: &mut WriteTx, id: i64, roles: &Roles) -> Result<(), StoreError> {
    sqlx::query("UPDATE operators SET roles = $1 WHERE id = $2")
        .bind(roles.to_text())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

pub async fn set_password(
    tx: &mut WriteTx,
    id: i64,
    password_hash: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE operators SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(tx.now().seconds())
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}

/// Disables (`true`) or re-enables an operator.
pub async fn set_disabled(tx: &mut WriteTx, id: i64, disabled: bool) -> Result<(), StoreError> {
    sqlx::query("UPDATE operators SET disabled_at = $1 WHERE id = $2")
        .bind(disabled.then(|| tx.now().seconds()))
        .bind(id)
        .execute(&mut ***tx)
        .await?;
    Ok(())
}
