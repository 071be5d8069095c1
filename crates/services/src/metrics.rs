//! Prometheus metrics of the CA engine (rendered by `GET /metrics`).

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

struct Metrics {
    registry: Registry,
    issued: IntCounterVec,
    issuance_seconds: HistogramVec,
    revocations: IntCounterVec,
    revocation_seconds: HistogramVec,
    ocsp_responses: IntCounterVec,
    ocsp_seconds: HistogramVec,
    crl_published: IntCounterVec,
    crl_seconds: HistogramVec,
    crl_entries: IntGaugeVec,
}

const FAST_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];
const SLOW_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(c.clone()))
        .expect("unique metric");
    c
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> HistogramVec {
    let h = HistogramVec::new(
        HistogramOpts::new(name, help).buckets(buckets.to_vec()),
        labels,
    )
    .expect("valid metric");
    registry
        .register(Box::new(h.clone()))
        .expect("unique metric");
    h
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let crl_entries = IntGaugeVec::new(
        Opts::new("certhall_crl_entries", "Entries in the latest CRL"),
        &["ca"],
    )
    .expect("valid metric");
    registry
        .register(Box::new(crl_entries.clone()))
        .expect("unique metric");
    Metrics {
        issued: counter(
            &registry,
            "certhall_certificates_issued_total",
            "Certificates issued",
            &["ca", "profile"],
        ),
        issuance_seconds: histogram(
            &registry,
            "certhall_issuance_seconds",
            "Time to check, sign and durably store a certificate",
            &[],
            FAST_BUCKETS,
        ),
        revocations: counter(
            &registry,
            "certhall_revocations_total",
            "Revocations, holds and releases",
            &["reason"],
        ),
        revocation_seconds: histogram(
            &registry,
            "certhall_revocation_seconds",
            "Time of a revocation request",
            &[],
            FAST_BUCKETS,
        ),
        ocsp_responses: counter(
            &registry,
            "certhall_ocsp_responses_total",
            "OCSP responses by result",
            &["result", "cached"],
        ),
        ocsp_seconds: histogram(
            &registry,
            "certhall_ocsp_seconds",
            "Time to answer an OCSP request",
            &["cached"],
            FAST_BUCKETS,
        ),
        crl_published: counter(
            &registry,
            "certhall_crls_published_total",
            "CRLs generated and signed",
            &["ca"],
        ),
        crl_seconds: histogram(
            &registry,
            "certhall_crl_generation_seconds",
            "Time to stream, sign and store a CRL",
            &["ca"],
            SLOW_BUCKETS,
        ),
        crl_entries,
        registry,
    }
});

pub fn record_issuance(ca: &str, profile: &str, took: Duration) {
    METRICS.issued.with_label_values(&[ca, profile]).inc();
    METRICS
        .issuance_seconds
        .with_label_values(&[] as &[&str])
        .observe(took.as_secs_f64());
}

pub fn record_revocation(reason: &str, took: Duration) {
    METRICS.revocations.with_label_values(&[reason]).inc();
    METRICS
        .revocation_seconds
        .with_label_values(&[] as &[&str])
        .observe(took.as_secs_f64());
}

pub fn record_ocsp(result: &str, cached: bool, took: Duration) {
    let cached = if cached { "true" } else { "false" };
    METRICS
        .ocsp_responses
        .with_label_values(&[result, cached])
        .inc();
    METRICS
        .ocsp_seconds
        .with_label_values(&[cached])
        .observe(took.as_secs_f64());
}

pub fn record_crl(ca: &str, entries: i64, took: Duration) {
    METRICS.crl_published.with_label_values(&[ca]).inc();
    METRICS
        .crl_seconds
        .with_label_values(&[ca])
        .observe(took.as_secs_f64());
    METRICS.crl_entries.with_label_values(&[ca]).set(entries);
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    let mut out = Vec::new();
    let _ = TextEncoder::new().encode(&METRICS.registry.gather(), &mut out);
    String::from_utf8(out).unwrap_or_default()
}
