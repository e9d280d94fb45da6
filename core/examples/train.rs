//! A small training loop logged with mlflow-core from Rust, the twin of examples/train.c and
//! examples/train.cpp: fits y = 3x + 2 by gradient descent and logs params, the loss of every
//! epoch, tags and the final weights to ./mlflow.db (or MLFLOW_TRACKING_URI), and a text summary as an
//! artifact (./mlruns). Then, in this folder:
//!   mlflow ui --backend-store-uri sqlite:///mlflow.db
//!
//! Run with `cargo run --release -p mlflow-core --example train`.

use std::time::Duration;

use mlflow_core::client::close_report_error;
use mlflow_core::{Client, ClientOptions, Metric, RunStatus, RunTag, StartRun};

const EPOCHS: i64 = 300;
const SAMPLES: usize = 64;
const EXPERIMENT: &str = "libmlflow-examples";

/// A small deterministic generator, so every run of the example sees the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Lcg(42);
    let (mut xs, mut ys) = (Vec::with_capacity(SAMPLES), Vec::with_capacity(SAMPLES));
    for _ in 0..SAMPLES {
        let x = rng.next() * 2.0 - 1.0;
        xs.push(x);
        ys.push(3.0 * x + 2.0 + (rng.next() - 0.5) * 0.1);
    }

    let client = Client::open(ClientOptions::default())?; // MLFLOW_TRACKING_URI, else sqlite:///mlflow.db
    let experiment_id = match client.get_experiment_by_name(EXPERIMENT)? {
        Some(experiment) => experiment.experiment_id,
        None => client.create_experiment(EXPERIMENT, None, &[])?,
    };
    let run = client.start_run(StartRun { experiment_id: Some(experiment_id.clone()), ..StartRun::default() })?;
    println!("run {} in experiment {experiment_id}", run.run_id());

    let learning_rate = 0.1;
    run.log_param("learning_rate", "0.1")?;
    run.log_param("epochs", &EPOCHS.to_string())?;
    run.log_param("samples", &SAMPLES.to_string())?;
    run.set_tag("model", "linear")?;
    run.set_tag("language", "rust")?;

    let (mut w, mut b) = (0.0f64, 0.0f64);
    let n = SAMPLES as f64;
    for epoch in 0..EPOCHS {
        let (mut grad_w, mut grad_b, mut loss) = (0.0, 0.0, 0.0);
        for (x, y) in xs.iter().zip(&ys) {
            let err = w * x + b - y;
            loss += err * err / n;
            grad_w += 2.0 * err * x / n;
            grad_b += 2.0 * err / n;
        }
        w -= learning_rate * grad_w;
        b -= learning_rate * grad_b;
        run.log_metric("loss", loss, None, epoch)?;
        run.log_metric("weight", w, None, epoch)?;
        run.log_metric("bias", b, None, epoch)?;
    }

    // The final values in one batch: all accepted or none.
    let now = mlflow_core::util::now_ms();
    let finals = [
        Metric { key: "final_weight".into(), value: w, timestamp: now, step: EPOCHS },
        Metric { key: "final_bias".into(), value: b, timestamp: now, step: EPOCHS },
    ];
    run.log_batch(&finals, &[], &[RunTag { key: "converged".into(), value: "true".into() }])?;

    // A small text artifact beside the metrics, where MLflow keeps artifacts:
    // ./mlruns/<experiment id>/<run id>/artifacts/summary.txt (shown by `mlflow ui`).
    let summary = format!("y = {w:.4} * x + {b:.4} after {EPOCHS} epochs\n");
    client.log_text(run.run_id(), &summary, "summary.txt")?;
    run.end(RunStatus::Finished)?;

    let report = client.close(Duration::from_secs(10));
    println!(
        "fitted w={w:.4} b={b:.4}; wrote {} items ({} dropped, {} unwritten, {} failed)",
        report.written, report.dropped, report.unwritten, report.failed
    );
    if let Some(e) = close_report_error(&report) {
        return Err(e.into());
    }
    let uri = std::env::var("MLFLOW_TRACKING_URI").ok().filter(|u| !u.is_empty());
    println!("open it with: mlflow ui --backend-store-uri {}", uri.as_deref().unwrap_or("sqlite:///mlflow.db"));
    Ok(())
}
