//! Customer profiles and address books. Every query names the customer: one customer's
//! rows are unreachable with another's id.

use domain::{Address, AddressBookEntry, AddressInput};

use crate::{Store, StoreError, WriteTx};

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ProfileRecord {
    pub name: Option<String>,
    pub email: Option<String>,
    pub id_number_sealed: Option<Vec<u8>>,
    pub id_number_masked: Option<String>,
    pub landline: Option<String>,
}

pub async fn get(store: &Store, customer_id: i64) -> Result<Option<ProfileRecord>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT name, email, id_number_sealed, id_number_masked, landline FROM customer_profiles WHERE customer_id = $1",
    )
    .bind(customer_id)
    .fetch_optional(store.pool())
    .await?)
}

pub async fn put(
    tx: &mut WriteTx,
    customer_id: i64,
    profile: &ProfileRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO customer_profiles (customer_id, name, email, id_number_sealed, id_number_masked, landline, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name, \
         email = excluded.email, id_number_sealed = excluded.id_number_sealed, id_number_masked = excluded.id_number_masked, \
         landline = excluded.landline, updated_at = excluded.updated_at",
    )
    .bind(customer_id)
    .bind(&profile.name)
    .bind(&profile.email)
    .bind(&profile.id_number_sealed)
    .bind(&profile.id_number_masked)
    .bind(&profile.landline)
    .bind(tx.now().seconds())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// Sets the optional username; false when another customer has it.
pub async fn set_username(
    tx: &mut WriteTx,
    customer_id: i64,
    username: Option<&str>,
) -> Result<bool, StoreError> {
    let taken: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM customers WHERE username = $1 AND id <> $2")
            .bind(username)
            .bind(customer_id)
            .fetch_optional(&mut ***tx)
            .await?;
    if taken.is_some() {
        return Ok(false);
    }
    sqlx::query("UPDATE customers SET username = $1 WHERE id = $2")
        .bind(username)
        .bind(customer_id)
        .execute(&mut ***tx)
        .await?;
    Ok(true)
}

/// An address row as stored.
#[derive(sqlx::FromRow)]
struct AddressRow {
    id: i64,
    recipient: String,
    phone: String,
    province: String,
    city: String,
    district: String,
    detail: String,
    postal_code: Option<String>,
    is_default: i64,
}

impl TryFrom<AddressRow> for AddressBookEntry {
    type Error = StoreError;
    fn try_from(row: AddressRow) -> Result<Self, StoreError> {
        let input = AddressInput {
            recipient: row.recipient,
            phone: row.phone,
            province: row.province,
            city: row.city,
            district: row.district,
            detail: row.detail,
            postal_code: row.postal_code,
        };
        let address = Address::parse(&input)
            .map_err(|e| StoreError::Corrupt(format!("address {}: {e}", row.id)))?;
        Ok(AddressBookEntry {
            id: row.id,
            address,
            is_default: row.is_default == 1,
        })
    }
}

const ADDRESS: &str = "SELECT id, recipient, phone, province, city, district, detail, postal_code, is_default FROM addresses";

pub async fn list_addresses(
    store: &Store,
    customer_id: i64,
) -> Result<Vec<AddressBookEntry>, StoreError> {
    sqlx::query_as::<_, AddressRow>(&format!(
        "{ADDRESS} WHERE customer_id = $1 ORDER BY is_default DESC, id"
    ))
    .bind(customer_id)
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(AddressBookEntry::try_from)
    .collect()
}

pub async fn count_addresses(tx: &mut WriteTx, customer_id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM addresses WHERE customer_id = $1")
        .bind(customer_id)
        .fetch_one(&mut ***tx)
        .await?;
    Ok(n)
}

pub async fn insert_address(
    tx: &mut WriteTx,
    customer_id: i64,
    a: &Address,
    is_default: bool,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO addresses (customer_id, recipient, phone, province, city, district, detail, postal_code, is_default, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(customer_id)
    .bind(a.recipient())
    .bind(a.phone().as_str())
    .bind(a.province())
    .bind(a.city())
    .bind(a.district())
    .bind(a.detail())
    .bind(a.postal_code())
    .bind(i64::from(is_default))
    .bind(tx.now().seconds())
    .fetch_one(&mut ***tx)
    .await?;
    Ok(id)
}

/// Updates the customer's address `id`; false when the customer has no such address.
pub async fn update_address(
    tx: &mut WriteTx,
    customer_id: i64,
    id: i64,
    a: &Address,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE addresses SET recipient = $1, phone = $2, province = $3, city = $4, district = $5, detail = $6, \
         postal_code = $7 WHERE id = $8 AND customer_id = $9",
    )
    .bind(a.recipient())
    .bind(a.phone().as_str())
    .bind(a.province())
    .bind(a.city())
    .bind(a.district())
    .bind(a.detail())
    .bind(a.postal_code())
    .bind(id)
    .bind(customer_id)
    .execute(&mut ***tx)
    .await?
    .rows_affected()
        == 1)
}

/// Deletes the customer's address `id`; returns whether it existed and was the default.
pub async fn delete_address(
    tx: &mut WriteTx,
    customer_id: i64,
    id: i64,
) -> Result<Option<bool>, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "DELETE FROM addresses WHERE id = $1 AND customer_id = $2 RETURNING is_default",
    )
    .bind(id)
    .bind(customer_id)
    .fetch_optional(&mut ***tx)
    .await?;
    Ok(row.map(|(d,)| d == 1))
}

/// Makes `id` the customer's only default address (or, with `None`, the oldest one);
/// false when the customer has no such address.
pub async fn set_default(
    tx: &mut WriteTx,
    customer_id: i64,
    id: Option<i64>,
) -> Result<bool, StoreError> {
    let target: Option<(i64,)> = match id {
        Some(id) => {
            sqlx::query_as("SELECT id FROM addresses WHERE id = $1 AND customer_id = $2")
                .bind(id)
                .bind(customer_id)
                .fetch_optional(&mut ***tx)
                .await?
        }
        None => {
            sqlx::query_as("SELECT id FROM addresses WHERE customer_id = $1 ORDER BY id LIMIT 1")
                .bind(customer_id)
                .fetch_optional(&mut ***tx)
                .await?
        }
    };
    let Some((target,)) = target else {
        return Ok(id.is_none());
    };
    sqlx::query("UPDATE addresses SET is_default = CASE WHEN id = $1 THEN 1 ELSE 0 END WHERE customer_id = $2")
        .bind(target)
        .bind(customer_id)
        .execute(&mut ***tx)
        .await?;
    Ok(true)
}
