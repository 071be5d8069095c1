//! Load figures of online payment (a benchmark, not a timed test: ignored by the suite, run
//! by `scripts/bench.sh notices`, which prints them; nothing is asserted about speed).
//! `BENCH_ORDERS` orders (default 500) of huanbao applications are placed and shown as
//! Alipay QR codes; then the buyer pays all of them at once and the simulator delivers
//! every notice twice at the same moment (1,000 notices, half of them duplicates), over
//! HTTP to the application served on 127.0.0.1. Checked: every order paid exactly once
//! (one `order.confirm` per order), and the audit chain intact. Printed: the time until
//! the last order is paid and the notices per second.

use std::collections::BTreeSet;
use std::time::Instant;

use paysim::{NoticeFault, Simulator};
use serde_json::json;
use services::people::actor::Actor;

use crate::harness::TestApp;
use crate::online::scan_code;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench.sh notices"]
async fn bench_notices_for_many_orders() {
    let orders: usize = std::env::var("BENCH_ORDERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    // A registration code and four signing codes: within the hourly limit of one number.
    let per_customer = 4;
    let sim = Simulator::start(0, 100_000.0).await.unwrap();
    let test = TestApp::with_alipay(&sim).await;

    let set_up = Instant::now();
    let mut trades = Vec::new();
    let mut placed = Vec::new();
    for c in 0..orders.div_ceil(per_customer) {
        let phone = format!("1380013{:04}", 2000 + c);
        let ip = [10, 20, (c / 250) as u8, (c % 250) as u8 + 1];
        let mut customer = test.customer(&phone, ip).await;
        for _ in 0..per_customer.min(orders - placed.len()) {
            let (id, version) =
                crate::applications::filled(&mut customer, "91350100M000100Y43").await;
            test.sign_and_submit(&mut customer, &phone, id, version)
                .await;
            let answer = customer
                .call(
                    "POST",
                    "/api/v1/orders",
                    json!({"applications": [id], "method": "online"}),
                )
                .await;
            let order = answer.json()["id"].as_i64().unwrap();
            trades.push(scan_code(&mut customer, order).await);
            placed.push(order);
        }
    }
    eprintln!(
        "set-up: {} orders placed and shown as QR codes in {:.1} s",
        placed.len(),
        set_up.elapsed().as_secs_f64()
    );

    let admin = Actor::Cli("bench".into());
    let confirmed = |test: &TestApp| {
        let app = test.app.clone();
        let admin = admin.clone();
        async move {
            let filter = domain::AuditFilter {
                action_prefix: "order.confirm".into(),
                ..Default::default()
            };
            services::audit::list(&app, &admin, &filter, 100_000)
                .await
                .unwrap()
        }
    };
    let started = Instant::now();
    for trade in &trades {
        assert!(sim.pay(trade, NoticeFault::Twice));
    }
    let mut paid = Vec::new();
    while started.elapsed().as_secs() < 300 {
        paid = confirmed(&test).await;
        if paid.len() >= placed.len() && sim.deliveries().len() >= 2 * placed.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let notices = sim.deliveries().len();
    // Exactly once each: as many confirmations as orders, each order once.
    let objects: BTreeSet<&str> = paid.iter().map(|e| e.object.as_str()).collect();
    assert_eq!(paid.len(), placed.len(), "one payment per order");
    assert_eq!(objects.len(), placed.len());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(confirmed(&test).await.len(), placed.len(), "and no more");
    match services::audit::verify(&test.app, &admin).await.unwrap() {
        intact @ services::audit::ChainReport::Intact { .. } => {
            eprintln!("audit chain: {intact:?}")
        }
        broken => panic!("audit chain: {broken:?}"),
    }
    println!(
        "payment notices: {} orders, {} notices ({} duplicates) delivered concurrently: all paid exactly once in {:.2} s, {:.0} notices/s",
        placed.len(),
        notices,
        notices - placed.len(),
        elapsed,
        notices as f64 / elapsed
    );
}
