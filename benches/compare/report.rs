//! The table and the `RESULT` lines.

/// One printed figure.
struct Row {
    section: &'static str,
    /// `RESULT` name, or `None` for an extra, informational row.
    name: Option<&'static str>,
    label: String,
    value: f64,
    unit: &'static str,
}

/// Everything measured in this run.
#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
    pub errors: usize,
}

impl Report {
    /// A figure with a `RESULT` line.
    pub fn result(
        &mut self,
        section: &'static str,
        name: &'static str,
        label: impl Into<String>,
        value: f64,
        unit: &'static str,
    ) {
        self.rows.push(Row {
            section,
            name: Some(name),
            label: label.into(),
            value,
            unit,
        });
    }

    /// A figure printed in the table only.
    pub fn extra(
        &mut self,
        section: &'static str,
        label: impl Into<String>,
        value: f64,
        unit: &'static str,
    ) {
        let label = label.into();
        self.rows.push(Row {
            section,
            name: None,
            label,
            value,
            unit,
        });
    }

    /// The median of per-round `ratios` as a `RESULT`, with its spread.
    pub fn ratio(
        &mut self,
        section: &'static str,
        name: &'static str,
        label: &str,
        ratios: &[f64],
    ) {
        if let Some(m) = crate::util::median(ratios) {
            let (lo, hi) = crate::util::spread(ratios);
            let label = format!("{label}; median of {} interleaved rounds", ratios.len());
            self.result(section, name, label, m, "x");
            self.extra(section, "  spread (min)", lo, "x");
            self.extra(section, "  spread (max)", hi, "x");
        }
    }

    /// How much the async core worked in one measurement: runner polls per
    /// `per` (a connection, a round trip, a MiB) and timer fires.
    pub fn async_counts(
        &mut self,
        section: &'static str,
        per: &str,
        polls_per: f64,
        counts: crate::async_rows::Counts,
    ) {
        self.extra(
            section,
            format!("  async runner polls per {per}"),
            polls_per,
            "",
        );
        self.extra(
            section,
            "  async wall-clock timer fired (all rounds)",
            counts.timer_fires as f64,
            "",
        );
    }

    /// A measurement that could not be made.
    pub fn error(&mut self, what: &str, err: &str) {
        eprintln!("ERROR {what}: {err}");
        self.errors += 1;
    }

    /// The value recorded under `name`, if any.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.name == Some(name))
            .map(|r| r.value)
    }

    pub fn print(&self) {
        println!();
        println!("| Figure | Value | Unit | RESULT name |");
        println!("|---|---:|---|---|");
        let mut section = "";
        for r in &self.rows {
            if r.section != section {
                section = r.section;
                println!("| **{section}** | | | |");
            }
            println!(
                "| {} | {} | {} | {} |",
                r.label,
                fmt(r.value),
                r.unit,
                r.name.map_or(String::new(), |n| format!("`{n}`"))
            );
        }
        println!();
        for r in &self.rows {
            if let Some(n) = r.name {
                println!("RESULT {n} {}", machine(r.value));
            }
        }
    }
}

/// For people: a few significant digits.
fn fmt(v: f64) -> String {
    if (v == v.trunc() && v.abs() < 1e15) || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// For machines: plain decimal.
fn machine(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}
