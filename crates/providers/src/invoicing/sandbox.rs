//! The sandbox invoicing platform: issues at once, numbers derived from the request
//! number (the same request: the same invoice, whatever is asked again), an XML in the
//! layout of the 数电票 (EInvoice: header, seller, buyer, lines, totals), and a PDF from the
//! renderer it is given, stamped 沙箱 (not a valid invoice). A title containing “开票失败”
//! is refused, so that tests and demos can see a refusal.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;

use super::{InvoiceDraft, InvoiceIssuer, InvoiceRenderer, InvoicingError, IssuedInvoice};

pub struct SandboxIssuer {
    renderer: Arc<dyn InvoiceRenderer>,
    issued: Mutex<BTreeMap<String, IssuedInvoice>>,
}

impl SandboxIssuer {
    pub fn new(renderer: Arc<dyn InvoiceRenderer>) -> Self {
        SandboxIssuer {
            renderer,
            issued: Mutex::new(BTreeMap::new()),
        }
    }
}

/// A 数电票-like number: 20 digits, the year's two digits first, the rest from the
/// request number (FNV-1a, so the same request gives the same number).
fn number_of(draft: &InvoiceDraft) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in draft.request_no.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let year = draft.issued_on.get(2..4).unwrap_or("26");
    format!("{year}{:018}", hash % 1_000_000_000_000_000_000)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn xml_of(draft: &InvoiceDraft, number: &str) -> Vec<u8> {
    let mut lines = String::new();
    for (i, line) in draft.lines.iter().enumerate() {
        lines.push_str(&format!(
            "<IssuItemInformation><ItemNo>{}</ItemNo><ItemName>{}</ItemName><Quantity>1</Quantity><Amount>{}</Amount></IssuItemInformation>",
            i + 1,
            escape(&line.description),
            line.amount.yuan()
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<EInvoice><Header><EIid>{number}</EIid><EInvoiceTag>SANDBOX</EInvoiceTag><Version>0.1</Version></Header>\
<EInvoiceData><SellerInformation><SellerName>{}</SellerName></SellerInformation>\
<BuyerInformation><BuyerName>{}</BuyerName><BuyerIdNum>{}</BuyerIdNum></BuyerInformation>\
<BasicInformation><TotalTax-includedAmount>{}</TotalTax-includedAmount><RequestTime>{}</RequestTime></BasicInformation>\
{lines}<AdditionalInformation><Remark>{}</Remark></AdditionalInformation></EInvoiceData></EInvoice>\n",
        escape(&draft.seller),
        escape(&draft.title),
        escape(draft.taxpayer_id.as_deref().unwrap_or("")),
        draft.total.yuan(),
        escape(&draft.issued_on),
        escape(&draft.order_number),
    )
    .into_bytes()
}

impl InvoiceIssuer for SandboxIssuer {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn issue<'a>(
        &'a self,
        draft: &'a InvoiceDraft,
    ) -> BoxFuture<'a, Result<IssuedInvoice, InvoicingError>> {
        Box::pin(async move {
            if let Some(done) = self
                .issued
                .lock()
                .map_err(|_| InvoicingError::Unavailable("sandbox state".into()))?
                .get(&draft.request_no)
            {
                return Ok(done.clone());
            }
            if draft.title.contains("开票失败") {
                return Err(InvoicingError::Refused("购买方名称校验不通过".into()));
            }
            let number = number_of(draft);
            let pdf = self
                .renderer
                .render(draft, &number)
                .map_err(InvoicingError::Unavailable)?;
            let issued = IssuedInvoice {
                xml: Some(xml_of(draft, &number)),
                number,
                issued_on: draft.issued_on.clone(),
                pdf,
            };
            self.issued
                .lock()
                .map_err(|_| InvoicingError::Unavailable("sandbox state".into()))?
                .insert(draft.request_no.clone(), issued.clone());
            Ok(issued)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoicing::InvoiceLine;
    use domain::Fen;
    use domain::channel::InvoiceKind;

    struct Plain;
    impl InvoiceRenderer for Plain {
        fn render(&self, draft: &InvoiceDraft, number: &str) -> Result<Vec<u8>, String> {
            Ok(format!("%PDF {number} {}", draft.title).into_bytes())
        }
    }

    fn draft(request_no: &str, title: &str) -> InvoiceDraft {
        InvoiceDraft {
            request_no: request_no.into(),
            kind: InvoiceKind::ElectronicNormal,
            title: title.into(),
            taxpayer_id: Some("91350100M000100Y43".into()),
            address_phone: None,
            bank_account: None,
            seller: "某某数字证书认证中心".into(),
            order_number: "DD20261206000001".into(),
            lines: vec![InvoiceLine {
                description: "数字证书 <新办>".into(),
                amount: Fen(34_000),
            }],
            total: Fen(34_000),
            issued_on: "2026-12-06".into(),
        }
    }

    #[tokio::test]
    async fn the_same_request_is_issued_once_and_numbers_differ_by_request() {
        let sandbox = SandboxIssuer::new(Arc::new(Plain));
        let first = sandbox.issue(&draft("FP1", "甲公司")).await.unwrap();
        assert_eq!(first.number.len(), 20);
        assert!(first.number.starts_with("26"));
        // Asked again (a timeout on our side), even with other data: the same invoice.
        let again = sandbox.issue(&draft("FP1", "乙公司")).await.unwrap();
        assert_eq!(again, first);
        let other = sandbox.issue(&draft("FP2", "甲公司")).await.unwrap();
        assert_ne!(other.number, first.number);
        let xml = String::from_utf8(first.xml.unwrap()).unwrap();
        assert!(xml.contains("<BuyerName>甲公司</BuyerName>"));
        assert!(xml.contains("数字证书 &lt;新办&gt;") && xml.contains("340.00"));
        let refused = sandbox.issue(&draft("FP3", "开票失败公司")).await;
        assert!(matches!(refused, Err(InvoicingError::Refused(_))));
    }
}
