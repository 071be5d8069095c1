//! E-mail through an SMTP server (lettre), e.g. `smtps://user:pass@smtp.example.cn` or
//! `smtp://relay.internal:25?tls=opportunistic`.

use futures_util::future::BoxFuture;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{DeliveryError, Message, Notifier};

pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpNotifier {
    /// `url` as lettre reads it (`smtp://`, `smtps://`; `?tls=` options); `from` like
    /// `CertHall <noreply@ca.example.cn>`.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("SMTP sender {from:?}: {e}"))?;
        Ok(SmtpNotifier { transport, from })
    }
}

impl Notifier for SmtpNotifier {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let to: Mailbox = message
                .to
                .parse()
                .map_err(|e| DeliveryError::refused(format!("recipient {:?}: {e}", message.to)))?;
            let email = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(message.subject.clone())
                // The idempotency key lets a mail system recognise a resent message.
                .message_id(Some(format!(
                    "<{}@certhall>",
                    hex::encode(message.idempotency_key.as_bytes())
                )))
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .header(ContentTransferEncoding::Base64)
                        .body(message.text.clone()),
                )
                .map_err(|e| DeliveryError::refused(format!("building the e-mail: {e}")))?;
            self.transport
                .send(email)
                .await
                .map(|_| ())
                .map_err(|e| DeliveryError {
                    // 5xx answers are refusals; connection trouble and 4xx answers pass.
                    retryable: !e.is_permanent(),
                    reason: e.to_string(),
                })
        })
    }

    /// SMTP cannot be asked afterwards.
    fn was_delivered<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Option<bool>> {
        Box::pin(async { None })
    }
}
