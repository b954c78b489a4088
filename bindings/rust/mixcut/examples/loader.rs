// A data-loader-style use: worker threads, each with its own Ctx, turn uint8 NHWC
// images into normalised float32 NCHW with Mixup/CutMix in one pass, plus soft
// targets; any batch is reproducible from (seed, step) alone. Like
// examples/loader_example.cpp. Run: cargo run --example loader
use mixcut::{
    mix_labels, mix_plan, Ctx, Layout, MixPolicy, Mode, Normalize, Shape, View, ViewMut,
    IMAGENET_MEAN, IMAGENET_STD,
};
use std::thread;

const IMAGES: usize = 256;
const BATCH: usize = 32;
const SIDE: usize = 64;
const CLASSES: usize = 10;
const BATCHES_PER_EPOCH: usize = IMAGES / BATCH;
const SEED: u64 = 2024;
const IMAGE_BYTES: usize = SIDE * SIDE * 3;

/// One collated batch: pixels [BATCH][3][SIDE][SIDE], targets [BATCH][CLASSES].
#[derive(PartialEq)]
struct Batch {
    pixels: Vec<f32>,
    targets: Vec<f32>,
}

/// The "decoded dataset": image k is a colour ramp (uint8 HWC), label k % CLASSES.
fn dataset() -> Vec<u8> {
    (0..IMAGES * IMAGE_BYTES)
        .map(|i| ((i * 7 + i / IMAGE_BYTES * 31) & 0xFF) as u8)
        .collect()
}

/// What a collate function does for batch `index` of `epoch`, on its thread's ctx.
fn collate(ctx: &mut Ctx, data: &[u8], epoch: usize, index: usize) -> Result<Batch, mixcut::Error> {
    let mut gathered = Vec::with_capacity(BATCH * IMAGE_BYTES);
    let mut labels = Vec::with_capacity(BATCH);
    for i in 0..BATCH {
        let sample = (index * BATCH + i * 5 + epoch * 3) % IMAGES; // a "shuffle"
        gathered.extend_from_slice(&data[sample * IMAGE_BYTES..(sample + 1) * IMAGE_BYTES]);
        labels.push((sample % CLASSES) as i64);
    }

    let policy = MixPolicy {
        cutmix_alpha: 1.0,
        mode: Mode::Elem,
        ..MixPolicy::default()
    };
    let step = (epoch * BATCHES_PER_EPOCH + index) as u64;
    let plan = mix_plan(&policy, SEED, step, BATCH, SIDE, SIDE)?;
    let shape = Shape::new(BATCH, 3, SIDE, SIDE);
    let mut out = Batch {
        pixels: vec![0.0; BATCH * 3 * SIDE * SIDE],
        targets: vec![0.0; BATCH * CLASSES],
    };
    let src = View::new(&gathered, Layout::Nhwc, shape)?;
    let mut dst = ViewMut::new(&mut out.pixels, Layout::Nchw, shape)?;
    let norm = Normalize {
        mean: &IMAGENET_MEAN,
        std: &IMAGENET_STD,
    };
    ctx.mix_apply(&plan, &src, &mut dst, Some(&norm))?; // mix + HWC -> CHW + normalise, one pass
    mix_labels(&plan, &labels, CLASSES, 0.1, &mut out.targets)?;
    Ok(out)
}

fn main() -> Result<(), mixcut::Error> {
    let data = dataset();
    let (workers, epoch) = (2, 1);

    // Worker w takes batches w, w + workers, ...: each with its own single-threaded Ctx.
    let mut batches: Vec<(usize, Batch)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let data = &data;
                scope.spawn(move || -> Result<Vec<(usize, Batch)>, mixcut::Error> {
                    let mut ctx = Ctx::new()?;
                    ctx.set_num_threads(1)?;
                    (w..BATCHES_PER_EPOCH)
                        .step_by(workers)
                        .map(|b| Ok((b, collate(&mut ctx, data, epoch, b)?)))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect::<Result<Vec<_>, _>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    batches.sort_by_key(|(b, _)| *b);

    // Any batch can be recomputed anywhere from (seed, step): no RNG state is shared.
    let again = collate(&mut Ctx::new()?, &data, epoch, 3)?;
    let same = again == batches[3].1;
    let checksum: f64 = batches
        .iter()
        .flat_map(|(_, b)| &b.pixels)
        .map(|&v| f64::from(v))
        .sum();
    println!(
        "{BATCHES_PER_EPOCH} batches of {BATCH}x3x{SIDE}x{SIDE} float32 from {workers} workers, \
         checksum {checksum:.3}, batch 3 reproduced: {}",
        if same { "yes" } else { "NO" }
    );
    let row = &batches[0].1.targets[..CLASSES];
    println!("batch 0, sample 0 targets: {:.3?}", row);
    if same {
        Ok(())
    } else {
        std::process::exit(2)
    }
}
