#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Validating a complete request with three 2 MB screenshots (target: under 1 ms without hashing),
//! and SHA-256 throughput for the content addresses. `cargo bench -p sportello-domain`.

use std::collections::BTreeMap;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sportello_domain::catalog::Catalog;
use sportello_domain::evidence::content_hash;
use sportello_domain::request::{validate, NewRequest, Upload};

const TWO_MB: usize = 2 * 1024 * 1024;

/// A real 3840×2160 PNG padded to 2 MiB (bytes after IEND are ignored by viewers), made distinct.
fn screenshot(n: u8) -> Bytes {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/images/large-png-3840x2160-exoplanet.png"
    );
    let mut bytes = std::fs::read(path).unwrap();
    bytes.resize(TWO_MB, n);
    Bytes::from(bytes)
}

fn request(shots: &[Bytes]) -> NewRequest {
    NewRequest {
        category: "payments".into(),
        subcategory: "refund".into(),
        email: "mario.rossi@gmail.com".into(),
        phone: "+39 345 123 4567".into(),
        description: "Ho pagato 12 euro ieri sera con la carta ma il pagamento risulta fallito e non vedo il rimborso."
            .into(),
        device: "iPhone 14, iOS 17.1".into(),
        fields: BTreeMap::from([
            ("transaction_id".to_owned(), "WA123456789".to_owned()),
            ("amount".to_owned(), "12,00 EUR".to_owned()),
        ]),
        attachments: shots
            .iter()
            .enumerate()
            .map(|(i, b)| Upload {
                filename: format!("shot{i}.png"),
                bytes: b.clone(),
            })
            .collect(),
        ..NewRequest::default()
    }
}

fn benches(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let shots: Vec<Bytes> = (1..=3).map(screenshot).collect();
    assert!(validate(&catalog, request(&shots)).is_ok());

    c.bench_function("validate: complete request, 3 × 2 MiB screenshots", |b| {
        b.iter_batched(|| request(&shots), |r| validate(&catalog, r), BatchSize::SmallInput)
    });
    c.bench_function("validate: complete request, no attachments", |b| {
        b.iter_batched(|| request(&[]), |r| validate(&catalog, r), BatchSize::SmallInput)
    });
    let mut group = c.benchmark_group("sha256");
    group.throughput(Throughput::Bytes(TWO_MB as u64));
    group.bench_function("one 2 MiB screenshot", |b| b.iter(|| content_hash(&shots[0])));
    group.finish();
}

criterion_group!(validation, benches);
criterion_main!(validation);
