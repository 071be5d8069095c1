//! A real invoicing platform over HTTP: CertHall's signed JSON ([`crate::signed_json`]),
//! so that the CA's tax-control service, the 数电票 platform's agent, or a small gateway in
//! front of either plugs in by URL and credentials.
//!
//! One operation, `invoices`: the request is the draft (amounts in fen, the kind by its
//! stored name) under our `request_no`, which the service must treat as the key of the
//! invoice (asked again, it answers the invoice already issued). The result is either
//! `{"issued": {"number", "issued_on", "pdf_base64", "xml_base64"?}}` or
//! `{"refused": {"reason"}}`. No answer, or one that does not check, is "unavailable": the
//! request is asked again later with the same number.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use domain::time::Clock;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{InvoiceDraft, InvoiceIssuer, InvoicingError, IssuedInvoice};
use crate::signed_json::SignedJsonClient;

pub struct HttpIssuer {
    client: SignedJsonClient,
}

/// The draft as sent.
#[derive(Debug, Serialize, Deserialize)]
pub struct DraftRequest {
    pub request_no: String,
    /// `electronic_normal`, `paper_normal` or `vat_special`.
    pub kind: String,
    pub title: String,
    pub taxpayer_id: Option<String>,
    pub address_phone: Option<String>,
    pub bank_account: Option<String>,
    pub seller: String,
    pub order_number: String,
    pub lines: Vec<LineRequest>,
    pub total_fen: u64,
    pub issued_on: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LineRequest {
    pub description: String,
    pub amount_fen: u64,
}

/// The service's result.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueResult {
    Issued {
        number: String,
        issued_on: String,
        pdf_base64: String,
        #[serde(default)]
        xml_base64: Option<String>,
    },
    Refused {
        reason: String,
    },
}

impl DraftRequest {
    pub fn of(draft: &InvoiceDraft) -> DraftRequest {
        DraftRequest {
            request_no: draft.request_no.clone(),
            kind: draft.kind.as_str().into(),
            title: draft.title.clone(),
            taxpayer_id: draft.taxpayer_id.clone(),
            address_phone: draft.address_phone.clone(),
            bank_account: draft.bank_account.clone(),
            seller: draft.seller.clone(),
            order_number: draft.order_number.clone(),
            lines: draft
                .lines
                .iter()
                .map(|l| LineRequest {
                    description: l.description.clone(),
                    amount_fen: l.amount.0,
                })
                .collect(),
            total_fen: draft.total.0,
            issued_on: draft.issued_on.clone(),
        }
    }
}

impl HttpIssuer {
    /// Calls go to `base`, as `app_id`, signed with `secret`, each given `timeout`.
    pub fn new(
        base: &str,
        app_id: &str,
        secret: &[u8],
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, String> {
        Ok(HttpIssuer {
            client: SignedJsonClient::new(
                "invoicing service",
                base,
                app_id,
                secret,
                timeout,
                clock,
            )?,
        })
    }
}

fn decoded(field: &str, text: &str) -> Result<Vec<u8>, InvoicingError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| InvoicingError::Unavailable(format!("{field}: {e}")))
}

impl InvoiceIssuer for HttpIssuer {
    fn name(&self) -> &'static str {
        "http"
    }

    fn issue<'a>(
        &'a self,
        draft: &'a InvoiceDraft,
    ) -> BoxFuture<'a, Result<IssuedInvoice, InvoicingError>> {
        Box::pin(async move {
            let result: IssueResult = self
                .client
                .call("invoices", &DraftRequest::of(draft))
                .await
                .map_err(|e| InvoicingError::Unavailable(format!("{e:?}")))?;
            match result {
                IssueResult::Issued {
                    number,
                    issued_on,
                    pdf_base64,
                    xml_base64,
                } => {
                    let pdf = decoded("pdf_base64", &pdf_base64)?;
                    if !pdf.starts_with(b"%PDF-") {
                        return Err(InvoicingError::Unavailable(
                            "the service's file is not a PDF".into(),
                        ));
                    }
                    Ok(IssuedInvoice {
                        number,
                        issued_on,
                        pdf,
                        xml: xml_base64.map(|x| decoded("xml_base64", &x)).transpose()?,
                    })
                }
                IssueResult::Refused { reason } => Err(InvoicingError::Refused(reason)),
            }
        })
    }
}
