//! Invoicing services (开票): one trait, [`InvoiceIssuer`], for what a CA asks of its
//! invoicing platform (a tax-control service or the 数电票 platform's agent): issue an
//! invoice for a paid order, identified by our fixed request number, so that asking again
//! after a timeout issues once and answers the same invoice.
//!
//! Adapters: [`sandbox::SandboxIssuer`] (deterministic numbers, an XML in the shape of the
//! 数电票's, and a PDF drawn by the renderer it is given, the one CertHall prints its own
//! forms with) and [`http::HttpIssuer`] (a real platform, or a gateway in front of one,
//! over CertHall's signed JSON).

pub mod http;
pub mod sandbox;

use domain::Fen;
use domain::channel::InvoiceKind;
use futures_util::future::BoxFuture;

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub description: String,
    pub amount: Fen,
}

/// An invoice to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDraft {
    /// Our fixed number of the request: the same request is issued once.
    pub request_no: String,
    pub kind: InvoiceKind,
    /// The buyer (购买方名称).
    pub title: String,
    /// 纳税人识别号, when the buyer gave one.
    pub taxpayer_id: Option<String>,
    /// VAT special invoices: registered address and phone, bank and account.
    pub address_phone: Option<String>,
    pub bank_account: Option<String>,
    /// The seller (the CA), as registered.
    pub seller: String,
    /// The order it is for (printed in the remark).
    pub order_number: String,
    pub lines: Vec<InvoiceLine>,
    pub total: Fen,
    /// The day it is issued, `YYYY-MM-DD` in China.
    pub issued_on: String,
}

/// An invoice the platform issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedInvoice {
    /// The invoice number (数电票: 20 digits).
    pub number: String,
    pub issued_on: String,
    pub pdf: Vec<u8>,
    /// The 数电票's XML, when the platform gives one.
    pub xml: Option<Vec<u8>>,
}

/// No invoice was issued (a timeout, the platform down, a refusal with its reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoicingError {
    #[error("the invoicing service is unavailable: {0}")]
    Unavailable(String),
    #[error("the invoicing service refused the invoice: {0}")]
    Refused(String),
}

/// Draws an invoice's PDF (版式文件) from the draft and the number given.
pub trait InvoiceRenderer: Send + Sync {
    fn render(&self, draft: &InvoiceDraft, number: &str) -> Result<Vec<u8>, String>;
}

pub trait InvoiceIssuer: Send + Sync {
    /// `sandbox`, or the platform's name.
    fn name(&self) -> &'static str;

    /// Issues `draft`; the same `request_no` again answers the invoice issued for it.
    fn issue<'a>(
        &'a self,
        draft: &'a InvoiceDraft,
    ) -> BoxFuture<'a, Result<IssuedInvoice, InvoicingError>>;
}
