//! The `seed` store: one public `userFitnessProfile` whose `resolveDepth=4` response is over
//! 150 MB of JSON, built from few records reused across branches, as real fitness data is.
//!
//! ```text
//! profile ─► 100 workoutSchedule ─► 5 workout each ─► 12 exercise each ─► 2 fitnessEquipment each
//!            (of 100)                (of 50)            (of 60, ~24 KB)     (of 10, ~1.5 KB)
//! ```
//!
//! 6,000 exercises and 12,000 equipment records are embedded from 221 stored records. Owns: the
//! records, written as NDJSON. Must not: talk to the server. Output: the profile's DID.

use crate::words::{self, Rng};
use anyhow::Context;
use serde_json::{json, Value};
use std::io::{BufWriter, Write};
use std::path::Path;

const EQUIPMENT: usize = 10;
const EXERCISES: usize = 60;
const WORKOUTS: usize = 50;
const SCHEDULES: usize = 100;
const WORKOUTS_PER_SCHEDULE: usize = 5;
const EXERCISES_PER_WORKOUT: usize = 12;
/// 20 steps of ~1,200 characters: ~24 KB of `instructions` per exercise.
const STEPS: usize = 20;
const STEP_CHARS: usize = 1200;
/// 2023-11-14, the fixture's `basic.date` base.
const DATE_BASE: i64 = 1_700_000_000;

/// What was written.
pub struct SeedStore {
    /// DID of the profile to resolve.
    pub profile: String,
    /// Records written.
    pub records: u64,
}

fn did(kind: u64, i: usize) -> String {
    format!("did:arweave:{}", words::arweave_id(kind << 32 | i as u64))
}

fn record(did: &str, record_type: &str, i: usize, section: Value) -> Value {
    let date = DATE_BASE + i as i64 * 3600;
    json!({
        "data": {"basic": {"name": format!("{record_type} {i}"), "date": date}, record_type: section},
        "oip": {"did": did, "didTx": did, "recordType": record_type,
                "inArweaveBlock": 1_500_000 + i as u64,
                "indexedAt": oipd::time::iso_from_ms(date * 1000)}
    })
}

/// Writes the store's records to `path` as NDJSON.
pub fn write(path: &Path) -> anyhow::Result<SeedStore> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::new(file);
    let mut rng = Rng::new(4);
    let mut records = 0u64;
    let mut emit = |value: Value| -> anyhow::Result<()> {
        serde_json::to_writer(&mut out, &value)?;
        out.write_all(b"\n")?;
        records += 1;
        Ok(())
    };
    for e in 0..EQUIPMENT {
        let mut r = record(
            &did(1, e),
            "fitnessEquipment",
            e,
            json!({"category": "strength"}),
        );
        r["data"]["basic"]["description"] = json!(words::text(&mut rng, 1400));
        emit(r)?;
    }
    for x in 0..EXERCISES {
        let steps: Vec<String> = (0..STEPS)
            .map(|s| format!("Step {}: {}", s + 1, words::text(&mut rng, STEP_CHARS)))
            .collect();
        let equipment = [did(1, (x * 3) % EQUIPMENT), did(1, (x * 3 + 1) % EQUIPMENT)];
        let section = json!({"instructions": steps, "equipmentRequired": equipment,
                             "muscleGroups": ["legs", "core"], "difficulty": "intermediate"});
        emit(record(&did(2, x), "exercise", x, section))?;
    }
    for w in 0..WORKOUTS {
        let exercises: Vec<String> = (0..EXERCISES_PER_WORKOUT)
            .map(|k| did(2, (w * 7 + k) % EXERCISES))
            .collect();
        let section = json!({"exercise": exercises, "total_duration_minutes": 45});
        emit(record(&did(3, w), "workout", w, section))?;
    }
    for s in 0..SCHEDULES {
        let workouts: Vec<String> = (0..WORKOUTS_PER_SCHEDULE)
            .map(|k| did(3, (s * 3 + k) % WORKOUTS))
            .collect();
        let section = json!({"workouts": workouts, "weekStart": DATE_BASE + s as i64 * 604_800});
        emit(record(&did(4, s), "workoutSchedule", s, section))?;
    }
    let profile = did(5, 0);
    let schedules: Vec<String> = (0..SCHEDULES).map(|s| did(4, s)).collect();
    emit(record(
        &profile,
        "userFitnessProfile",
        0,
        json!({"schedules": schedules, "goal": "strength"}),
    ))?;
    out.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(SeedStore { profile, records })
}
