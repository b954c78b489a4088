// Mixup/CutMix on a float32 NCHW batch, in place, with soft targets: prints each
// sample's partner, lam and top classes. Run: cargo run --example mixup
use mixcut::{mix_labels, mix_plan, Ctx, Layout, MixKind, MixPolicy, Mode, Shape, ViewMut};

fn main() -> Result<(), mixcut::Error> {
    let (n, c, h, w, classes) = (8, 3, 32, 32, 10);
    // A stand-in batch: sample i is a flat grey of level i / n.
    let mut pixels: Vec<f32> = (0..n * c * h * w)
        .map(|e| (e / (c * h * w)) as f32 / n as f32)
        .collect();
    let labels: Vec<i64> = (0..n as i64).map(|i| (i * 3) % classes as i64).collect();

    // BEGIN README
    // timm's Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, mode="elem", label_smoothing=0.1)
    let policy = MixPolicy {
        mixup_alpha: 0.8,
        cutmix_alpha: 1.0,
        mode: Mode::Elem,
        ..MixPolicy::default()
    };
    let (seed, step) = (42, 0); // step = epoch * batches_per_epoch + batch
    let plan = mix_plan(&policy, seed, step, n, h, w)?;

    let mut ctx = Ctx::new()?;
    let mut batch = ViewMut::new(&mut pixels, Layout::Nchw, Shape::new(n, c, h, w))?;
    ctx.mix_apply_in_place(&plan, &mut batch)?; // the pixels, mixed in place
    let mut targets = vec![0f32; n * classes];
    mix_labels(&plan, &labels, classes, 0.1, &mut targets)?; // soft targets [n][classes]
                                                             // END README

    println!(
        "mixcut {} on {:?}, seed {seed}, step {step}",
        mixcut::version(),
        ctx.isa()?
    );
    for (i, s) in plan.iter().enumerate() {
        let row = &targets[i * classes..(i + 1) * classes];
        let mut top: Vec<usize> = (0..classes).collect();
        top.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
        let what = match s.kind {
            MixKind::None => "unchanged".to_string(),
            MixKind::Mixup => format!("Mixup  with sample {}", s.partner),
            MixKind::CutMix => format!(
                "CutMix with sample {}, box rows {}..{} cols {}..{}",
                s.partner, s.y0, s.y1, s.x0, s.x1
            ),
        };
        let mean = pixels[i * c * h * w..(i + 1) * c * h * w]
            .iter()
            .sum::<f32>()
            / (c * h * w) as f32;
        println!(
            "sample {i} (class {}): {what:<44} lam {:.3}  mean pixel {mean:.3}  top classes {} ({:.3}), {} ({:.3})",
            labels[i], s.lam, top[0], row[top[0]], top[1], row[top[1]]
        );
    }
    Ok(())
}
