//! `certhall serve`: opens the application (the CA engine at once, so a mistake stops the
//! start), seeds the channels, creates the initial administrator on a first start, warns
//! about working-calendar years it does not know, starts the background jobs and serves
//! HTTP until SIGINT or SIGTERM.

use std::sync::Arc;

use anyhow::{Context, Result};

use super::config;
use crate::cli::GlobalArgs;

pub async fn serve(global: &GlobalArgs, listen: std::net::SocketAddr) -> Result<()> {
    // The configuration first: a mistake in the hall configuration or the working calendar
    // stops the start with the field named.
    let app = config::open(global).await?;
    app.open_ca().await?;
    // A missing or unusable PDF font stops the start, not the first download.
    app.pdf_font().await?;
    let added = services::hall::channels::seed(&app).await?;
    if !added.is_empty() {
        tracing::info!(channels = ?added, "channels added from the hall configuration");
    }
    if let Some(path) = services::people::operators::ensure_initial_admin(&app).await? {
        // The path only: the password is never printed or logged.
        eprintln!(
            "Initial administrator \"admin\" created; its password is in {}",
            path.display()
        );
    }
    let this_year = app.today().year();
    let unknown = app.calendar.missing_years([this_year, this_year + 1]);
    if !unknown.is_empty() {
        tracing::warn!(
            years = ?unknown,
            "the working calendar has no holidays for these years: they are counted Monday to Friday; add the State Council's notice to the calendar file (--working-calendar)"
        );
    }
    if app.identity_sandbox().is_some() {
        tracing::warn!(
            "real-name verification uses the sandbox (test identities; its bank statement is public at /sandbox/identity/bank): use --identity http for a real service"
        );
    }
    services::jobs::crl::run_once(&app).await?;
    services::jobs::spawn_all(&app);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    let cas = services::ca::list(&app).await?.len();
    tracing::info!(%addr, cas, "CertHall is serving");
    eprintln!("CertHall listening on http://{addr}");
    let state = web::AppState {
        app: app.clone(),
        secure_cookies: app.public_url().starts_with("https://"),
        trusted_proxies: Arc::new(
            global
                .trusted_proxies
                .iter()
                .map(|r| {
                    r.parse::<web::IpRange>()
                        .map_err(|e| anyhow::anyhow!("--trusted-proxies: {e}"))
                })
                .collect::<Result<_>>()?,
        ),
    };
    let service = web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    app.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
