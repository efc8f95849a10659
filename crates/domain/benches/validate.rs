#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Validating a complete request with three 2 MB screenshots (target: under 1 ms without hashing),
//! the throughput of the structure walk, and SHA-256 throughput for the content addresses.
//! `cargo bench -p sportello-domain`.

use std::collections::BTreeMap;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sportello_domain::catalog::Catalog;
use sportello_domain::evidence::{content_hash, inspect};
use sportello_domain::request::{validate, NewRequest, Upload};

const TWO_MB: usize = 2 * 1024 * 1024;

fn real_image(name: &str) -> Vec<u8> {
    let path = format!("{}/../../../shared/testdata/images/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

/// A real 3840×2160 PNG padded to 2 MiB after IEND (ignored by viewers and by the walk), made distinct.
fn screenshot(n: u8) -> Bytes {
    let mut bytes = real_image("large-png-3840x2160-exoplanet.png");
    bytes.resize(TWO_MB, n);
    Bytes::from(bytes)
}

/// The same PNG grown to 2 MiB by private ancillary chunks (`prVt`, 64 KiB each, correct CRCs)
/// before IEND, so that the structure walk covers every byte, as in a real 2 MiB screenshot.
fn intact_screenshot(n: u8) -> Bytes {
    let png = real_image("large-png-3840x2160-exoplanet.png");
    let (body, iend) = png.split_at(png.len() - 12);
    let mut bytes = body.to_vec();
    let mut fill = u32::from(n);
    while bytes.len() + 12 < TWO_MB - iend.len() {
        let len = (TWO_MB - iend.len() - bytes.len() - 12).min(64 * 1024);
        let mut chunk = b"prVt".to_vec();
        chunk.extend((0..len).map(|_| {
            fill = fill.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (fill >> 16) as u8
        }));
        bytes.extend(u32::try_from(len).unwrap().to_be_bytes());
        bytes.extend(&chunk);
        bytes.extend(crc32fast::hash(&chunk).to_be_bytes());
    }
    bytes.extend(iend);
    assert_eq!(bytes.len(), TWO_MB);
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
    let intact: Vec<Bytes> = (1..=3).map(intact_screenshot).collect();
    assert!(validate(&catalog, request(&intact)).is_ok());
    let jpeg = real_image("jpeg-exif-lightroom-canon-2000x1072.jpg");

    c.bench_function("validate: complete request, 3 × 2 MiB screenshots", |b| {
        b.iter_batched(|| request(&shots), |r| validate(&catalog, r), BatchSize::SmallInput)
    });
    c.bench_function(
        "validate: complete request, 3 × 2 MiB screenshots, chunks to the end",
        |b| b.iter_batched(|| request(&intact), |r| validate(&catalog, r), BatchSize::SmallInput),
    );
    c.bench_function("validate: complete request, no attachments", |b| {
        b.iter_batched(|| request(&[]), |r| validate(&catalog, r), BatchSize::SmallInput)
    });
    let mut group = c.benchmark_group("inspect");
    group.throughput(Throughput::Bytes(TWO_MB as u64));
    group.bench_function("one 2 MiB PNG, chunks to the end", |b| b.iter(|| inspect(&intact[0])));
    group.throughput(Throughput::Bytes(jpeg.len() as u64));
    group.bench_function("one 1.7 MiB JPEG (2000×1072)", |b| b.iter(|| inspect(&jpeg)));
    group.finish();
    let mut group = c.benchmark_group("sha256");
    group.throughput(Throughput::Bytes(TWO_MB as u64));
    group.bench_function("one 2 MiB screenshot", |b| b.iter(|| content_hash(&shots[0])));
    group.finish();
}

criterion_group!(validation, benches);
criterion_main!(validation);
