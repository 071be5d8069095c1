//! A customer's profile (个人资料) and address book (地址维护), which prefill later forms.
//! Every call acts on the session's own customer only; the ID number is sealed at rest
//! (AES-256-GCM under a key derived from the master key) and stored masked for display.

use domain::{Address, AddressBookEntry, AddressInput, AuditAction, text};
use store::profiles::ProfileRecord;

use super::accounts::CustomerSession;
use super::actor::Actor;
use crate::{App, ErrorKind, ServiceError};

/// Most addresses one customer keeps.
pub const MAX_ADDRESSES: i64 = 20;

/// The profile as its owner sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub name: Option<String>,
    pub email: Option<String>,
    pub id_number: Option<String>,
    pub landline: Option<String>,
    pub username: Option<String>,
}

fn invalid(field: &str, en: &str, zh: &str) -> ServiceError {
    ServiceError::new(
        ErrorKind::Invalid,
        "invalid_field",
        format!("{field}: {en}"),
        zh,
    )
    .with_field(field)
}

fn check_email(value: Option<String>) -> Result<Option<String>, ServiceError> {
    value
        .map(|v| domain::contact::email("email", &v))
        .transpose()
        .map_err(ServiceError::from)
}

fn check_landline(value: Option<String>) -> Result<Option<String>, ServiceError> {
    value
        .map(|v| domain::contact::landline("landline", &v))
        .transpose()
        .map_err(ServiceError::from)
}

fn check_username(value: Option<String>) -> Result<Option<String>, ServiceError> {
    let Some(name) = value else { return Ok(None) };
    let ok = (4..=20).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if ok {
        Ok(Some(name))
    } else {
        Err(invalid(
            "username",
            "4 to 20 digits and lowercase letters",
            "用户名为4至20位数字和小写字母",
        ))
    }
}

fn mask_id(id: &str) -> String {
    format!("{}{}{}", &id[..6], "*".repeat(8), &id[14..])
}

/// Appends the customer's own audit event about their account.
async fn audit(
    tx: &mut store::WriteTx,
    session: &CustomerSession,
    action: AuditAction,
    details: serde_json::Value,
) -> Result<(), ServiceError> {
    let object = format!("customer:{}", session.customer_id);
    crate::audit::record(tx, &session.actor(), action, object, details).await?;
    Ok(())
}

fn no_address(id: i64) -> ServiceError {
    ServiceError::new(
        ErrorKind::NotFound,
        "unknown_address",
        format!("no address {id}"),
        "地址不存在",
    )
    .with_field("id")
}

fn seal_context(customer_id: i64) -> String {
    format!("customer:{customer_id}:id_number")
}

/// The customer's own profile.
pub async fn get(app: &App, session: &CustomerSession) -> Result<Profile, ServiceError> {
    let record = store::profiles::get(&app.store, session.customer_id)
        .await?
        .unwrap_or_default();
    let customer = store::customers::find_by_id(&app.store, session.customer_id)
        .await?
        .ok_or_else(|| ServiceError::internal("profile", "customer gone"))?;
    let id_number = match &record.id_number_sealed {
        Some(sealed) => {
            let plain = app
                .secrets
                .personal_data()
                .open(seal_context(session.customer_id).as_bytes(), sealed)
                .map_err(|e| ServiceError::internal("sealed ID number", e))?;
            Some(String::from_utf8_lossy(&plain).into_owned())
        }
        None => None,
    };
    Ok(Profile {
        name: record.name,
        email: record.email,
        id_number,
        landline: record.landline,
        username: customer.username,
    })
}

/// Replaces the profile (absent fields are cleared); each field is checked and named.
pub async fn update(
    app: &App,
    session: &CustomerSession,
    input: &Profile,
) -> Result<Profile, ServiceError> {
    let name = text::optional("name", input.name.as_deref(), 32, "姓名")?;
    let email = check_email(text::optional(
        "email",
        input.email.as_deref(),
        254,
        "电子邮箱",
    )?)?;
    let landline = check_landline(text::optional(
        "landline",
        input.landline.as_deref(),
        24,
        "固定电话",
    )?)?;
    let username = check_username(text::optional(
        "username",
        input.username.as_deref(),
        20,
        "用户名",
    )?)?;
    let id_number = match text::optional("id_number", input.id_number.as_deref(), 18, "身份证号码")?
    {
        Some(id) => Some(domain::ResidentId::parse_on(&id, app.today()).map_err(|e| {
            ServiceError::new(
                ErrorKind::Invalid,
                "invalid_id_number",
                format!("id_number: {e}"),
                e.message_zh(),
            )
            .with_field("id_number")
        })?),
        None => None,
    };
    let sealed = match &id_number {
        Some(id) => Some(
            app.secrets
                .personal_data()
                .seal(
                    seal_context(session.customer_id).as_bytes(),
                    id.as_str().as_bytes(),
                )
                .map_err(|e| ServiceError::internal("sealing", e))?,
        ),
        None => None,
    };
    let record = ProfileRecord {
        name,
        email,
        id_number_masked: id_number.as_ref().map(|id| mask_id(id.as_str())),
        id_number_sealed: sealed,
        landline,
    };
    let mut tx = app.store.begin_write().await?;
    if !store::profiles::set_username(&mut tx, session.customer_id, username.as_deref()).await? {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "username_taken",
            "username: already taken",
            "用户名已被使用",
        )
        .with_field("username"));
    }
    store::profiles::put(&mut tx, session.customer_id, &record).await?;
    let changed: Vec<&str> = [
        ("name", record.name.is_some()),
        ("email", record.email.is_some()),
        ("id_number", id_number.is_some()),
        ("landline", record.landline.is_some()),
        ("username", username.is_some()),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(f, _)| f)
    .collect();
    audit(
        &mut tx,
        session,
        AuditAction::CustomerProfileUpdate,
        serde_json::json!({"fields_set": changed}),
    )
    .await?;
    tx.commit().await?;
    get(app, session).await
}

/// The customer's address book, the default first.
pub async fn addresses(
    app: &App,
    session: &CustomerSession,
) -> Result<Vec<AddressBookEntry>, ServiceError> {
    Ok(store::profiles::list_addresses(&app.store, session.customer_id).await?)
}

/// Adds an address; the first one, or one asked to be, becomes the default.
pub async fn add_address(
    app: &App,
    session: &CustomerSession,
    input: &AddressInput,
    make_default: bool,
) -> Result<i64, ServiceError> {
    let fields = Address::parse(input)?;
    let mut tx = app.store.begin_write().await?;
    let id = add_address_in(
        &mut tx,
        session.customer_id,
        &session.actor(),
        &fields,
        make_default,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// [`add_address`] inside the caller's transaction (an application's delivery step keeps
/// its address in the book in the same transaction).
pub(crate) async fn add_address_in(
    tx: &mut store::WriteTx,
    customer_id: i64,
    actor: &Actor,
    fields: &Address,
    make_default: bool,
) -> Result<i64, ServiceError> {
    let count = store::profiles::count_addresses(tx, customer_id).await?;
    if count >= MAX_ADDRESSES {
        return Err(ServiceError::new(
            ErrorKind::Conflict,
            "too_many_addresses",
            format!("at most {MAX_ADDRESSES} addresses"),
            format!("最多保存{MAX_ADDRESSES}个地址"),
        ));
    }
    let id = store::profiles::insert_address(tx, customer_id, fields, false).await?;
    if make_default || count == 0 {
        store::profiles::set_default(tx, customer_id, Some(id)).await?;
    }
    crate::audit::record(
        tx,
        actor,
        AuditAction::CustomerAddressAdd,
        format!("customer:{customer_id}"),
        serde_json::json!({"address": id}),
    )
    .await?;
    Ok(id)
}

/// Changes one of the customer's addresses (another customer's id is "not found"), and
/// makes it the default when asked, in the same transaction.
pub async fn update_address(
    app: &App,
    session: &CustomerSession,
    id: i64,
    input: &AddressInput,
    make_default: bool,
) -> Result<(), ServiceError> {
    let fields = Address::parse(input)?;
    let mut tx = app.store.begin_write().await?;
    if !store::profiles::update_address(&mut tx, session.customer_id, id, &fields).await? {
        return Err(no_address(id));
    }
    audit(
        &mut tx,
        session,
        AuditAction::CustomerAddressUpdate,
        serde_json::json!({"address": id}),
    )
    .await?;
    if make_default {
        store::profiles::set_default(&mut tx, session.customer_id, Some(id)).await?;
        audit(
            &mut tx,
            session,
            AuditAction::CustomerAddressDefault,
            serde_json::json!({"address": id}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes an address; when it was the default, the oldest remaining one becomes it.
pub async fn delete_address(
    app: &App,
    session: &CustomerSession,
    id: i64,
) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    let was_default = store::profiles::delete_address(&mut tx, session.customer_id, id)
        .await?
        .ok_or_else(|| no_address(id))?;
    if was_default {
        store::profiles::set_default(&mut tx, session.customer_id, None).await?;
    }
    audit(
        &mut tx,
        session,
        AuditAction::CustomerAddressDelete,
        serde_json::json!({"address": id}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes one of the customer's addresses the default.
pub async fn set_default_address(
    app: &App,
    session: &CustomerSession,
    id: i64,
) -> Result<(), ServiceError> {
    let mut tx = app.store.begin_write().await?;
    if !store::profiles::set_default(&mut tx, session.customer_id, Some(id)).await? {
        return Err(no_address(id));
    }
    audit(
        &mut tx,
        session,
        AuditAction::CustomerAddressDefault,
        serde_json::json!({"address": id}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landlines_and_emails() {
        for ok in [
            "0591-87654321",
            "010-12345678",
            "0591-8765432-123",
            "059187654321",
        ] {
            assert!(check_landline(Some(ok.into())).is_ok(), "{ok}");
        }
        for bad in [
            "87654321",
            "591-87654321",
            "0591-876",
            "0591-87654321-1234567",
            "abc",
        ] {
            assert_eq!(
                check_landline(Some(bad.into()))
                    .unwrap_err()
                    .field
                    .as_deref(),
                Some("landline"),
                "{bad}"
            );
        }
        assert!(check_email(Some("zhang@example.cn".into())).is_ok());
        for bad in [
            "zhang",
            "zhang@",
            "@example.cn",
            "zhang@example",
            "a b@example.cn",
        ] {
            assert!(check_email(Some(bad.into())).is_err(), "{bad}");
        }
        assert_eq!(mask_id("11010519491231002X"), "110105********002X");
        assert!(check_username(Some("zhang01".into())).is_ok());
        assert!(check_username(Some("Zhang".into())).is_err());
    }
}
