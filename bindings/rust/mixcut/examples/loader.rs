// A data-loader-style use: worker threads, each with its own Ctx, collate
// decoded uint8 HWC images, each in its own buffer, into a normalised float32
// NCHW batch with Mixup/CutMix, in one pass (no stacking copy), plus soft
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

/// One collated batch: pixels [BATCH][3][SIDE][SIDE], targets [BATCH][CLASSES].
#[derive(PartialEq)]
struct Batch {
    pixels: Vec<f32>,
    targets: Vec<f32>,
}

/// The "decoded dataset", one buffer per image as a decoder returns them:
/// image k is a colour ramp (uint8 HWC) of class k % CLASSES.
fn dataset() -> Vec<(Vec<u8>, i64)> {
    (0..IMAGES)
        .map(|k| {
            let pixels = (0..SIDE * SIDE * 3)
                .map(|i| ((i * 7 + k * 31) & 0xFF) as u8)
                .collect();
            (pixels, (k % CLASSES) as i64)
        })
        .collect()
}

/// Which images batch `index` of `epoch` takes (a stand-in for a shuffle).
fn batch_indices(epoch: usize, index: usize) -> impl Iterator<Item = usize> {
    (0..BATCH).map(move |i| (index * BATCH + i * 5 + epoch * 3) % IMAGES)
}

/// What a collate function does for batch `index` of `epoch`, on its thread's ctx.
fn collate(
    ctx: &mut Ctx,
    data: &[(Vec<u8>, i64)],
    epoch: usize,
    index: usize,
) -> Result<Batch, mixcut::Error> {
    let chosen: Vec<&(Vec<u8>, i64)> = batch_indices(epoch, index).map(|k| &data[k]).collect();
    let policy = MixPolicy {
        cutmix_alpha: 1.0,
        mode: Mode::Elem,
        ..MixPolicy::default()
    };
    let step = (epoch * BATCHES_PER_EPOCH + index) as u64;
    let mut out = Batch {
        pixels: vec![0.0; BATCH * 3 * SIDE * SIDE],
        targets: vec![0.0; BATCH * CLASSES],
    };
    // BEGIN README
    // Each decoded image stays in its own buffer: a one-sample view of each.
    let image = Shape::new(1, 3, SIDE, SIDE);
    let samples = chosen
        .iter()
        .map(|(pixels, _)| View::new(pixels, Layout::Nhwc, image))
        .collect::<Result<Vec<_>, _>>()?;
    let labels: Vec<i64> = chosen.iter().map(|(_, label)| *label).collect();

    let plan = mix_plan(&policy, SEED, step, BATCH, SIDE, SIDE)?;
    let batch = Shape::new(BATCH, 3, SIDE, SIDE);
    let mut dst = ViewMut::new(&mut out.pixels, Layout::Nchw, batch)?;
    let norm = Normalize {
        mean: &IMAGENET_MEAN,
        std: &IMAGENET_STD,
    };
    // Gather + mix + HWC -> CHW + uint8 -> normalised float32: one pass.
    ctx.mix_apply_gather(&plan, &samples, &mut dst, Some(&norm))?;
    mix_labels(&plan, &labels, CLASSES, 0.1, &mut out.targets)?;
    // END README
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
