//! The sample dataset shown by `oipd serve --demo` and used by tests.
//!
//! This module owns only the *content*: a few hundred OIP records (fitness,
//! food and publishing) shaped like the ones an OIP indexer emits. It builds
//! plain `serde_json` values and never touches a store; whoever loads the
//! demo decides where the records go.
//!
//! Everything derives from a fixed seed, so every run and every test sees
//! identical records. The data deliberately holds the awkward cases a
//! resolver must cope with: one citation cycle, one dangling reference, a
//! reference chain five records deep, private and shared GUN records of two
//! users, a pending Arweave record and delete messages.
//!
//! Size: ~1,000 lines, most of them the name and text tables the records are built from; one
//! file keeps each table next to the generator that reads it.

use serde_json::{json, Map, Value};

/// Public key (66 hex chars, compressed secp256k1 style, starting 02 or 03) owning the demo's private records.
pub const DEMO_OWNER_KEY: &str =
    "02b81f1bdcaca064383979b911f8cdbae80bb6167d2e96c25a07c071429187cb15";
/// A second user's key: owns a few private records, and is listed in `shared_with` of one shared record.
pub const DEMO_OTHER_KEY: &str =
    "03521e3dbc10a0b8451e79d693b9bb75af22d0c49d9db95784a28230b5db131715";

const SEED: u64 = 0x01D5_EED0_2025_0800;
const VER: &str = "0.8.0";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
// Heights and dates are tied together (two-minute blocks) so that a record's
// `date`, `inArweaveBlock` and `indexedAt` never contradict each other.
const FIRST_BLOCK: i64 = 1_600_000;
const FIRST_BLOCK_TIME: i64 = 1_737_676_800;
const BLOCK_SECONDS: i64 = 120;
// GUN records start after the newest Arweave record: users plan against an
// already published catalogue.
const GUN_EPOCH: i64 = 1_762_473_600;
// Schedules before this instant read as "done", later ones as "planned".
const DEMO_NOW: i64 = 1_763_683_200;
const DAY: i64 = 86_400;
const WARM: &str = "Warm-Up";
const MAIN: &str = "Main";
const COOL: &str = "Cool-Down";

/// (name, legacy lower-case name, category, primary use, material)
#[rustfmt::skip]
const EQUIPMENT: &[(&str, &str, &str, &str, &str)] = &[
    ("Dumbbell", "dumbbells", "Free Weights", "unilateral strength work", "cast iron"),
    ("Kettlebell", "kettlebell", "Free Weights", "ballistic hip-hinge training", "cast iron"),
    ("Barbell", "barbell", "Free Weights", "heavy compound lifts", "steel"),
    ("Pull-up Bar", "pull-up bar", "Bodyweight", "vertical pulling", "steel"),
    ("Resistance Band", "resistance band", "Accessories", "assistance and warm-ups", "latex"),
    ("Bench", "bench", "Stations", "pressing and step-ups", "steel and vinyl"),
    ("Jump Rope", "jump rope", "Cardio", "footwork and conditioning", "PVC cable"),
    ("Yoga Mat", "yoga mat", "Accessories", "floor work and stretching", "TPE foam"),
    ("Medicine Ball", "medicine ball", "Accessories", "throws and rotational power", "rubber"),
    ("Rowing Machine", "rowing machine", "Cardio Machines", "low-impact endurance", "aluminium"),
];

/// (name, muscle groups, indices into `EQUIPMENT`, exercise_type), oldest first.
#[rustfmt::skip]
const EXERCISES: &[(&str, &[&str], &[usize], &str)] = &[
    ("Jumping Jacks", &["full body", "calves"], &[], WARM),
    ("Arm Circles", &["shoulders"], &[], WARM),
    ("High Knees", &["hip flexors", "quadriceps"], &[], WARM),
    ("Jump Rope Skips", &["calves", "shoulders"], &[6], WARM),
    ("Band Pull-Aparts", &["rear delts", "upper back"], &[4], WARM),
    ("Hip Openers", &["hips", "glutes"], &[], WARM),
    ("Leg Swings", &["hamstrings", "hip flexors"], &[], WARM),
    ("Inchworms", &["hamstrings", "core", "shoulders"], &[], WARM),
    ("Goblet Squat", &["quadriceps", "glutes", "core"], &[1], MAIN),
    ("Dumbbell Bench Press", &["chest", "triceps", "shoulders"], &[0, 5], MAIN),
    ("Barbell Back Squat", &["quadriceps", "glutes", "lower back"], &[2], MAIN),
    ("Deadlift", &["hamstrings", "glutes", "lower back"], &[2], MAIN),
    ("Overhead Press", &["shoulders", "triceps"], &[2], MAIN),
    ("Bent-Over Row", &["lats", "upper back", "biceps"], &[2], MAIN),
    ("Pull-Up", &["lats", "biceps"], &[3], MAIN),
    ("Chin-Up", &["biceps", "lats"], &[3], MAIN),
    ("Push-Up", &["chest", "triceps", "core"], &[], MAIN),
    ("Bench Dip", &["triceps", "chest"], &[5], MAIN),
    ("Kettlebell Swing", &["glutes", "hamstrings", "core"], &[1], MAIN),
    ("Turkish Get-Up", &["shoulders", "core", "glutes"], &[1], MAIN),
    ("Dumbbell Walking Lunge", &["quadriceps", "glutes"], &[0], MAIN),
    ("Bulgarian Split Squat", &["quadriceps", "glutes", "hamstrings"], &[0, 5], MAIN),
    ("Romanian Deadlift", &["hamstrings", "glutes"], &[2], MAIN),
    ("Hip Thrust", &["glutes", "hamstrings"], &[2, 5], MAIN),
    ("Dumbbell Curl", &["biceps"], &[0], MAIN),
    ("Hammer Curl", &["biceps", "forearms"], &[0], MAIN),
    ("Overhead Triceps Extension", &["triceps"], &[0], MAIN),
    ("Lateral Raise", &["shoulders"], &[0], MAIN),
    ("Renegade Row", &["lats", "core"], &[0], MAIN),
    ("Seated Dumbbell Shoulder Press", &["shoulders", "triceps"], &[0, 5], MAIN),
    ("Incline Dumbbell Press", &["chest", "shoulders"], &[0, 5], MAIN),
    ("Band Face Pull", &["rear delts", "upper back"], &[4], MAIN),
    ("Banded Squat", &["quadriceps", "glutes"], &[4], MAIN),
    ("Medicine Ball Slam", &["core", "shoulders", "lats"], &[8], MAIN),
    ("Wall Ball", &["quadriceps", "shoulders"], &[8], MAIN),
    ("Russian Twist", &["obliques", "core"], &[8], MAIN),
    ("Rowing Intervals", &["back", "legs", "cardio"], &[9], MAIN),
    ("Steady-State Row", &["back", "legs", "cardio"], &[9], MAIN),
    ("Plank", &["core", "shoulders"], &[], MAIN),
    ("Mountain Climbers", &["core", "hip flexors"], &[], MAIN),
    ("Burpees", &["full body", "cardio"], &[], MAIN),
    ("Bodyweight Squat", &["quadriceps", "glutes"], &[], MAIN),
    ("Child's Pose", &["lower back", "hips"], &[7], COOL),
    ("Cat-Cow", &["spine", "core"], &[7], COOL),
    ("Downward Dog", &["hamstrings", "calves", "shoulders"], &[7], COOL),
    ("Seated Hamstring Stretch", &["hamstrings"], &[7], COOL),
    ("Pigeon Stretch", &["glutes", "hips"], &[7], COOL),
    ("Band Shoulder Stretch", &["shoulders", "chest"], &[4], COOL),
    ("Standing Quad Stretch", &["quadriceps"], &[], COOL),
    ("Cobra Stretch", &["abdominals", "lower back"], &[7], COOL),
];

// Exercises this old predate the equipment records and name their kit in words.
const LEGACY_EXERCISES: usize = 12;

#[rustfmt::skip]
const CUES: &[&str] = &[
    "Set up with a neutral spine and feet planted.", "Brace your core before every repetition.",
    "Move through the full range of motion under control.",
    "Exhale on the effort and inhale on the return.",
    "Keep your shoulders down and away from your ears.",
    "Pause briefly at the end of each repetition.",
    "Stop the set when your form starts to break down.",
];
#[rustfmt::skip]
const WORKOUTS: &[&str] = &[
    "Full-Body Kettlebell Blast", "Upper Body Push Day", "Lower Body Strength",
    "Morning Mobility Flow", "Pull Day Essentials", "Beginner Dumbbell Circuit",
    "20-Minute HIIT Burner", "Core Crusher", "Rowing Endurance Builder",
    "Glute and Hamstring Focus", "Bodyweight Anywhere", "Powerlifting Basics",
    "Arm Sculpt Session", "Athletic Conditioning", "Lunch Break Express",
    "Recovery and Stretch", "Push-Pull Superset", "Strongman Lite", "Medicine Ball Power",
    "Shoulder Health Routine", "Leg Day Classic", "Band-Only Travel Workout",
    "Metabolic Finisher", "Sunday Long Row", "Total Body Foundations",
];
#[rustfmt::skip]
const GOALS: &[&str] = &[
    "strength", "hypertrophy", "endurance", "mobility", "fat loss", "conditioning", "power",
];
const SET_NOTES: &[&str] = &[
    "",
    "",
    "controlled tempo",
    "rest 60s between sets",
    "each side",
];

/// A nutritionalInfo row: name, standard amount, unit, [calories, protein g, fat g,
/// carbohydrates g, sodium mg, cholesterol mg], allergens.
struct Ing(
    &'static str,
    f64,
    &'static str,
    [f64; 6],
    &'static [&'static str],
);

#[rustfmt::skip]
const INGREDIENTS: &[Ing] = &[
    Ing("garlic", 1.0, "clove", [4.0, 0.2, 0.0, 1.0, 1.0, 0.0], &[]),
    Ing("olive oil", 1.0, "tbsp", [119.0, 0.0, 13.5, 0.0, 0.3, 0.0], &[]),
    Ing("chicken thighs", 100.0, "g", [209.0, 26.0, 10.9, 0.0, 84.0, 93.0], &[]),
    Ing("chicken breast", 100.0, "g", [165.0, 31.0, 3.6, 0.0, 74.0, 85.0], &[]),
    Ing("salmon fillet", 100.0, "g", [208.0, 20.0, 13.0, 0.0, 59.0, 55.0], &["fish"]),
    Ing("ground beef", 100.0, "g", [254.0, 17.2, 20.0, 0.0, 66.0, 71.0], &[]),
    Ing("eggs", 1.0, "whole", [72.0, 6.3, 4.8, 0.4, 71.0, 186.0], &["eggs"]),
    Ing("butter", 1.0, "tbsp", [102.0, 0.1, 11.5, 0.0, 91.0, 31.0], &["milk"]),
    Ing("whole milk", 1.0, "cup", [149.0, 7.7, 8.0, 11.7, 105.0, 24.0], &["milk"]),
    Ing("greek yogurt", 1.0, "cup", [146.0, 20.0, 3.8, 7.8, 68.0, 12.0], &["milk"]),
    Ing("cheddar cheese", 1.0, "oz", [114.0, 7.0, 9.4, 0.4, 176.0, 28.0], &["milk"]),
    Ing("feta cheese", 1.0, "oz", [75.0, 4.0, 6.0, 1.2, 260.0, 25.0], &["milk"]),
    Ing("parmesan cheese", 1.0, "oz", [111.0, 10.0, 7.3, 0.9, 390.0, 19.0], &["milk"]),
    Ing("all-purpose flour", 1.0, "cup", [455.0, 12.9, 1.2, 95.4, 3.0, 0.0], &["wheat"]),
    Ing("white rice", 1.0, "cup", [206.0, 4.3, 0.4, 44.5, 2.0, 0.0], &[]),
    Ing("rolled oats", 1.0, "cup", [307.0, 10.7, 5.3, 54.8, 5.0, 0.0], &[]),
    Ing("spaghetti", 100.0, "g", [371.0, 13.0, 1.5, 75.0, 6.0, 0.0], &["wheat"]),
    Ing("corn tortillas", 1.0, "whole", [52.0, 1.4, 0.7, 10.7, 11.0, 0.0], &[]),
    Ing("black beans", 1.0, "cup", [227.0, 15.2, 0.9, 40.8, 2.0, 0.0], &[]),
    Ing("chickpeas", 1.0, "cup", [269.0, 14.5, 4.2, 45.0, 11.0, 0.0], &[]),
    Ing("red lentils", 1.0, "cup", [230.0, 17.9, 0.8, 39.9, 4.0, 0.0], &[]),
    Ing("tomato", 1.0, "whole", [22.0, 1.1, 0.2, 4.8, 6.0, 0.0], &[]),
    Ing("yellow onion", 1.0, "whole", [44.0, 1.2, 0.1, 10.3, 4.0, 0.0], &[]),
    Ing("red bell pepper", 1.0, "whole", [37.0, 1.2, 0.4, 7.2, 5.0, 0.0], &[]),
    Ing("baby spinach", 1.0, "cup", [7.0, 0.9, 0.1, 1.1, 24.0, 0.0], &[]),
    Ing("broccoli", 1.0, "cup", [31.0, 2.6, 0.3, 6.0, 30.0, 0.0], &[]),
    Ing("carrot", 1.0, "whole", [25.0, 0.6, 0.1, 5.8, 42.0, 0.0], &[]),
    Ing("avocado", 1.0, "whole", [322.0, 4.0, 29.5, 17.1, 14.0, 0.0], &[]),
    Ing("lemon juice", 1.0, "tbsp", [3.0, 0.1, 0.0, 1.0, 0.2, 0.0], &[]),
    Ing("lime", 1.0, "whole", [20.0, 0.5, 0.1, 7.1, 1.0, 0.0], &[]),
    Ing("cilantro", 1.0, "cup", [4.0, 0.3, 0.1, 0.6, 7.0, 0.0], &[]),
    Ing("fresh basil", 1.0, "cup", [5.0, 0.7, 0.1, 0.6, 1.0, 0.0], &[]),
    Ing("fresh ginger", 1.0, "tbsp", [5.0, 0.1, 0.0, 1.1, 1.0, 0.0], &[]),
    Ing("soy sauce", 1.0, "tbsp", [9.0, 1.3, 0.1, 0.8, 879.0, 0.0], &["soy", "wheat"]),
    Ing("fish sauce", 1.0, "tbsp", [6.0, 0.9, 0.0, 0.7, 1413.0, 0.0], &["fish"]),
    Ing("coconut milk", 1.0, "cup", [552.0, 5.5, 57.2, 13.3, 36.0, 0.0], &["tree nuts"]),
    Ing("peanut butter", 2.0, "tbsp", [188.0, 8.0, 16.0, 6.0, 147.0, 0.0], &["peanuts"]),
    Ing("honey", 1.0, "tbsp", [64.0, 0.1, 0.0, 17.3, 1.0, 0.0], &[]),
    Ing("shrimp", 100.0, "g", [99.0, 24.0, 0.3, 0.2, 111.0, 189.0], &["shellfish"]),
    Ing("firm tofu", 100.0, "g", [144.0, 15.8, 8.7, 2.8, 14.0, 0.0], &["soy"]),
    Ing("ground cumin", 1.0, "tsp", [8.0, 0.4, 0.5, 0.9, 4.0, 0.0], &[]),
    Ing("sea salt", 1.0, "g", [0.0, 0.0, 0.0, 0.0, 388.0, 0.0], &[]),
    Ing("jalapeño", 1.0, "whole", [4.0, 0.1, 0.1, 0.9, 0.0, 0.0], &[]),
    Ing("rice noodles", 100.0, "g", [364.0, 6.0, 0.6, 80.0, 182.0, 0.0], &[]),
];

/// (name, cuisine, "amount unit ingredient[, comment]; …"): reads like a
/// recipe card and keeps one recipe per line.
#[rustfmt::skip]
const RECIPES: &[(&str, &str, &str)] = &[
    ("Mediterranean Chicken Thighs", "Mediterranean", "600 g chicken thighs, boneless skinless; 2 tbsp olive oil, extra virgin; 4 clove garlic, minced; 2 tbsp lemon juice, freshly squeezed; 2 oz feta cheese, crumbled; 2 whole tomato, diced"),
    ("Black Bean Tacos", "Mexican", "8 whole corn tortillas, warmed; 2 cup black beans, drained and rinsed; 1 whole avocado, sliced; 0.5 cup cilantro, chopped; 1 whole lime, cut into wedges; 1 tsp ground cumin"),
    ("Thai Green Curry with Shrimp", "Thai", "400 g shrimp, peeled and deveined; 1.5 cup coconut milk; 1 tbsp fish sauce; 1 tbsp fresh ginger, grated; 0.5 cup fresh basil, torn; 1 whole red bell pepper, sliced; 2 cup white rice, cooked"),
    ("Shakshuka", "Middle Eastern", "4 whole eggs; 4 whole tomato, crushed; 1 whole yellow onion, diced; 1 whole red bell pepper, diced; 3 clove garlic, minced; 1 tsp ground cumin; 1 tbsp olive oil, extra virgin; 1 oz feta cheese, crumbled"),
    ("Spaghetti Aglio e Olio", "Italian", "200 g spaghetti; 6 clove garlic, thinly sliced; 4 tbsp olive oil, extra virgin; 1 oz parmesan cheese, grated; 2 g sea salt"),
    ("Chickpea Spinach Curry", "Indian", "2 cup chickpeas, drained; 3 cup baby spinach; 1 cup coconut milk; 1 whole yellow onion, diced; 3 clove garlic, minced; 1 tbsp fresh ginger, grated; 2 tsp ground cumin"),
    ("Peanut Butter Overnight Oats", "American", "0.5 cup rolled oats; 0.5 cup whole milk; 0.5 cup greek yogurt, plain; 1 tbsp honey; 1 tbsp peanut butter, creamy"),
    ("Salmon with Lemon Butter", "French", "400 g salmon fillet, skin on; 2 tbsp butter, unsalted; 2 tbsp lemon juice; 2 clove garlic, minced; 2 cup broccoli, florets"),
    ("Beef and Broccoli Rice Bowl", "Chinese", "450 g ground beef, lean; 3 cup broccoli, florets; 3 tbsp soy sauce, low sodium; 1 tbsp fresh ginger, grated; 3 clove garlic, minced; 2 cup white rice, cooked; 1 tbsp honey"),
    ("Red Lentil Soup", "Turkish", "1 cup red lentils, rinsed; 2 whole carrot, diced; 1 whole yellow onion, diced; 1 tsp ground cumin; 1 tbsp lemon juice; 2 tbsp olive oil, extra virgin"),
    ("Peanut Tofu Stir-Fry", "Thai", "400 g firm tofu, pressed and cubed; 3 tbsp peanut butter; 2 tbsp soy sauce; 1 whole lime, juiced; 1 whole red bell pepper, sliced; 1 whole carrot, julienned; 200 g rice noodles"),
    ("Chicken Fajitas", "Mexican", "500 g chicken breast, sliced into strips; 2 whole red bell pepper, sliced; 1 whole yellow onion, sliced; 8 whole corn tortillas; 1 whole lime, juiced; 1 tsp ground cumin; 1 whole avocado, mashed"),
    ("Greek Chickpea Salad", "Greek", "3 whole tomato, chopped; 2 oz feta cheese, cubed; 2 tbsp olive oil, extra virgin; 1 cup chickpeas, drained; 1 tbsp lemon juice; 0.5 whole yellow onion, thinly sliced"),
    ("Cheesy Broccoli Rice Casserole", "American", "3 cup broccoli, florets; 3 oz cheddar cheese, shredded; 2 cup white rice, cooked; 1 cup whole milk; 1 tbsp butter; 0.25 cup all-purpose flour"),
    ("Spicy Shrimp Tacos", "Mexican", "300 g shrimp; 6 whole corn tortillas; 1 whole jalapeño, seeded and minced; 0.25 cup cilantro; 1 whole lime; 1 whole avocado, diced"),
    ("Caribbean Coconut Rice", "Caribbean", "1.5 cup white rice, rinsed; 1 cup coconut milk; 1 g sea salt; 1 whole lime, zested"),
    ("Spinach and Feta Omelette", "French", "3 whole eggs, beaten; 1 cup baby spinach; 1 oz feta cheese, crumbled; 1 tbsp butter"),
    ("Shrimp Pad Thai", "Thai", "200 g rice noodles, soaked; 200 g shrimp; 2 whole eggs, beaten; 2 tbsp fish sauce; 1 whole lime; 1 tbsp honey; 0.25 cup cilantro"),
    ("Basil Pesto Pasta", "Italian", "250 g spaghetti; 2 cup fresh basil, packed; 1 oz parmesan cheese, grated; 2 clove garlic; 4 tbsp olive oil, extra virgin"),
    ("Honey Garlic Salmon", "Japanese", "500 g salmon fillet; 2 tbsp honey; 2 tbsp soy sauce, low sodium; 3 clove garlic, minced; 1 tbsp fresh ginger, grated; 2 cup white rice, cooked"),
];
const AUTHORS: &[&str] = &[
    "Maya Chen",
    "Luis Ortega",
    "Priya Natarajan",
    "Sam Whitfield",
];

/// (filename stem, caption)
#[rustfmt::skip]
const IMAGES: &[(&str, &str)] = &[
    ("morning-trail-run", "Runners on a forest trail at sunrise"),
    ("kettlebell-rack", "A rack of cast-iron kettlebells"),
    ("farmers-market-tomatoes", "Heirloom tomatoes at a farmers market"),
    ("home-gym-corner", "A compact home gym in a spare bedroom"),
    ("shakshuka-skillet", "Shakshuka bubbling in a cast-iron skillet"),
    ("rowing-crew-dawn", "A rowing crew on a still river at dawn"),
    ("yoga-class-studio", "A yoga class holding downward dog"),
    ("meal-prep-containers", "Meal prep containers lined up on a counter"),
    ("deadlift-platform", "A lifter setting up for a deadlift"),
    ("spice-market", "Bins of spices at an open-air market"),
    ("city-bike-commute", "Commuters cycling across a bridge"),
    ("green-curry-bowl", "A bowl of green curry with jasmine rice"),
    ("park-pull-ups", "An athlete doing pull-ups in a park"),
    ("sourdough-loaves", "Fresh sourdough loaves cooling on a rack"),
    ("stretching-after-run", "A runner stretching her hamstrings"),
    ("olive-grove", "Rows of olive trees in late afternoon light"),
    ("jump-rope-gym", "A jump rope mid-swing in a boxing gym"),
    ("taco-night", "Tacos with lime wedges and cilantro"),
    ("swimming-pool-lanes", "Empty lanes of an outdoor swimming pool"),
    ("sleeping-athlete", "An athlete resting between sessions"),
];

/// (title, byline); the last post is the one still pending in Arweave.
#[rustfmt::skip]
const POSTS: &[(&str, &str)] = &[
    ("Why Zone 2 Training Is Having a Moment", "Jordan Ellis"),
    ("The Case for Training Twice a Week", "Amara Okafor"),
    ("Kettlebells Are the Best Home Gym Investment", "Jordan Ellis"),
    ("What the Mediterranean Diet Gets Right", "Priya Natarajan"),
    ("How to Build a Meal Prep Habit That Sticks", "Maya Chen"),
    ("Protein Timing Matters Less Than You Think", "Amara Okafor"),
    ("A Rebuttal on Protein Timing", "Daniel Brooks"),
    ("Inside a Community Rowing Club", "Hannah Lindqvist"),
    ("Deadlifts for Beginners Without Fear", "Jordan Ellis"),
    ("The Spice Routes That Shaped Modern Cooking", "Luis Ortega"),
    ("Cycling to Work: One Year of Data", "Hannah Lindqvist"),
    ("Thai Curry Pastes, Explained", "Priya Natarajan"),
    ("The Rise of Outdoor Calisthenics Parks", "Daniel Brooks"),
    ("Sourdough and the Science of Fermentation", "Maya Chen"),
    ("Mobility Work Is Not Optional After Forty", "Amara Okafor"),
    ("Olive Oil Fraud and How to Spot It", "Luis Ortega"),
    ("Jump Rope Conditioning for Fighters", "Jordan Ellis"),
    ("Weeknight Tacos Under Thirty Minutes", "Maya Chen"),
    ("Open-Water Swimming Safety Basics", "Hannah Lindqvist"),
    ("Sleep Is the Most Underrated Recovery Tool", "Daniel Brooks"),
    ("Strength Training Guidelines Update for 2025", "Amara Okafor"),
];
// Post indices carrying the dataset's two deliberate reference anomalies.
const CYCLE_A: usize = 5;
const CYCLE_B: usize = 6;
const DANGLING_POST: usize = 12;

/// The sample records, each `{"data": {...}, "oip": {...}}` (member order: data, then oip), in a stable order.
pub fn records() -> Vec<Value> {
    let mut g = Gen::new();
    let equipment = g.equipment();
    let exercises = g.exercises(&equipment);
    let workouts = g.workouts(&exercises);
    let ingredients = g.ingredients();
    let recipes = g.recipes(&ingredients);
    let images = g.images();
    g.posts(&images);
    for (who, preferred) in [(Who::Owner, [0, 1, 3]), (Who::Other, [7, 4, 6])] {
        let schedules = g.schedules(who, &workouts);
        let plans = g.meal_plans(who, &recipes);
        let preferred = preferred.map(|i| equipment[i].as_str());
        g.profile(who, &schedules, &preferred, &plans);
    }
    g.gun_extras(&exercises);
    g.out
}

struct Rng(u64);

impl Rng {
    /// splitmix64: tiny, well distributed, and needs no crate.
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`; modulo bias is irrelevant for sample data.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    fn below(&mut self, len: usize) -> usize {
        (self.next_u64() % len as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }

    /// `k` distinct indices below `len`, in draw order (partial Fisher–Yates).
    fn sample(&mut self, len: usize, k: usize) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..len).collect();
        for i in 0..k.min(len) {
            let j = i + self.below(len - i);
            pool.swap(i, j);
        }
        pool.truncate(k.min(len));
        pool
    }

    fn sample_of<'a>(&mut self, items: &[&'a str], k: usize) -> Vec<&'a str> {
        self.sample(items.len(), k)
            .into_iter()
            .map(|i| items[i])
            .collect()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Who {
    Owner,
    Other,
}

impl Who {
    fn key(self) -> &'static str {
        match self {
            Who::Owner => DEMO_OWNER_KEY,
            Who::Other => DEMO_OTHER_KEY,
        }
    }

    /// GUN souls are per-user namespaces; fixed so DIDs look like a real node's.
    fn soul(self) -> &'static str {
        match self {
            Who::Owner => "647f79c2a338",
            Who::Other => "b81e3d5a90c4",
        }
    }
}

fn block_time(block: i64) -> i64 {
    FIRST_BLOCK_TIME + (block - FIRST_BLOCK) * BLOCK_SECONDS
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SS.mmmZ` (civil-from-days, H. Hinnant).
fn iso8601(unix: i64, millis: i64) -> String {
    let (days, secs) = (unix.div_euclid(DAY) + 719_468, unix.rem_euclid(DAY));
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
}

fn tags(items: &[&str]) -> Vec<String> {
    items.iter().map(|t| t.to_lowercase()).collect()
}

fn basic(name: &str, desc: Option<String>, date: i64, lang: &str, tags: Vec<String>) -> Value {
    let mut b = Map::new();
    b.insert("name".into(), json!(name));
    if let Some(desc) = desc {
        b.insert("description".into(), json!(desc));
    }
    b.insert("date".into(), json!(date));
    b.insert("language".into(), json!(lang));
    if !tags.is_empty() {
        b.insert("tagItems".into(), json!(tags));
    }
    Value::Object(b)
}

struct Gen {
    rng: Rng,
    block: i64,
    /// Arweave creators: (handle, didAddress, publicKey).
    creators: Vec<(&'static str, String, String)>,
    /// didAddress of each GUN user, indexed by `Who`.
    gun_addresses: [String; 2],
    out: Vec<Value>,
}

impl Gen {
    fn new() -> Self {
        let mut rng = Rng(SEED);
        let address = |rng: &mut Rng| format!("did:arweave:{}", rng.chars(B64URL, 43));
        let creators = ["Librarian7", "FitnessAlly", "KitchenArchivist"]
            .into_iter()
            // An RSA-4096 modulus in base64url is 683 characters long.
            .map(|handle| (handle, address(&mut rng), rng.chars(B64URL, 683)))
            .collect();
        let gun_addresses = [address(&mut rng), address(&mut rng)];
        let (block, out) = (FIRST_BLOCK, Vec::new());
        Gen {
            rng,
            block,
            creators,
            gun_addresses,
            out,
        }
    }

    fn did(&mut self) -> String {
        format!("did:arweave:{}", self.rng.chars(B64URL, 43))
    }

    fn gun_did(&mut self, who: Who, prefix: &str, created: i64) -> String {
        let suffix = self.rng.chars(BASE36, 9);
        format!("did:gun:{}:{prefix}_{created}_{suffix}", who.soul())
    }

    /// Advances the chain; returns (block, authoring date shortly before it).
    fn mine(&mut self) -> (i64, i64) {
        self.block += self.rng.range(300, 1500);
        (
            self.block,
            block_time(self.block) - self.rng.range(120, 5400),
        )
    }

    fn arweave_oip(&mut self, did: &str, kind: &str, creator: usize, block: i64) -> Value {
        let indexed = iso8601(
            block_time(block) + self.rng.range(30, 900),
            self.rng.range(0, 999),
        );
        let signature = format!("{}==", self.rng.chars(B64, 86));
        let (handle, address, key) = &self.creators[creator];
        json!({
            "did": did, "didTx": did, "recordType": kind, "recordStatus": "original",
            "inArweaveBlock": block, "indexedAt": indexed, "ver": VER, "signature": signature,
            "creator": {
                "creatorHandle": handle, "didAddress": address, "didTx": address, "publicKey": key,
            },
        })
    }

    /// Each type has a usual creator; Librarian7 contributes now and then.
    fn push_arweave(
        &mut self,
        did: &str,
        kind: &str,
        usual: usize,
        mined: (i64, i64),
        data: Value,
    ) {
        let creator = if self.rng.chance(20) { 0 } else { usual };
        let oip = self.arweave_oip(did, kind, creator, mined.0);
        self.out.push(json!({ "data": data, "oip": oip }));
    }

    fn push_gun(
        &mut self,
        did: &str,
        kind: &str,
        who: Who,
        date: i64,
        mut data: Value,
        level: Option<&str>,
    ) {
        let key = who.key();
        if let (Some(level), Some(obj)) = (level, data.as_object_mut()) {
            let mut control =
                json!({"access_level": level, "owner_public_key": key, "created_by": key});
            if level == "shared" {
                control["shared_with"] = json!([DEMO_OTHER_KEY]);
            }
            obj.insert("accessControl".into(), control);
        }
        let indexed = iso8601(date + self.rng.range(1, 30), self.rng.range(0, 999));
        let signature = format!("{}==", self.rng.chars(B64, 86));
        let oip = json!({
            "did": did, "didTx": did, "recordType": kind, "indexedAt": indexed, "ver": VER,
            "signature": signature, "storage": "gun",
            "creator": {"didAddress": self.gun_addresses[who as usize], "publicKey": key},
        });
        self.out.push(json!({ "data": data, "oip": oip }));
    }

    fn equipment(&mut self) -> Vec<String> {
        let mut dids = Vec::new();
        for &(name, _, category, use_, material) in EQUIPMENT {
            let (did, mined) = (self.did(), self.mine());
            let desc = Some(format!("{name} for {use_}."));
            let tag_list = tags(&["fitness", "equipment", category]);
            let data = json!({
                "basic": basic(name, desc, mined.1, "English", tag_list),
                "fitnessEquipment": {
                    "category": category, "primaryUse": use_, "material": material,
                    "homeFriendly": category != "Cardio Machines",
                },
            });
            self.push_arweave(&did, "fitnessEquipment", 1, mined, data);
            dids.push(did);
        }
        dids
    }

    fn exercises(&mut self, equipment: &[String]) -> Vec<String> {
        let mut dids = Vec::new();
        for (i, &(name, muscles, kit, kind)) in EXERCISES.iter().enumerate() {
            let (did, mined) = (self.did(), self.mine());
            let legacy = i < LEGACY_EXERCISES;
            let kit_name = |k: &usize| {
                if legacy {
                    EQUIPMENT[*k].1
                } else {
                    &equipment[*k]
                }
            };
            let required: Vec<&str> = kit.iter().map(kit_name).collect();
            let steps = self.rng.range(3, 5) as usize;
            let cues = self.rng.sample_of(CUES, steps);
            let (minutes, sets, reps) = match kind {
                MAIN => (
                    self.rng.range(4, 10),
                    self.rng.range(3, 5),
                    self.rng.range(6, 15),
                ),
                WARM => (self.rng.range(2, 5), 1, self.rng.range(15, 30)),
                _ => (self.rng.range(2, 4), 1, 1),
            };
            let desc = Some(format!("{name} working the {}.", muscles.join(", ")));
            let tag_list = tags(&[muscles, &[kind]].concat());
            let data = json!({
                "basic": basic(name, desc, mined.1, "English", tag_list),
                "exercise": {
                    "instructions": cues, "muscleGroups": muscles, "equipmentRequired": required,
                    "isBodyweight": kit.is_empty(), "exercise_type": kind,
                    "est_duration_minutes": minutes, "recommended_sets": sets,
                    "recommended_reps": reps,
                },
            });
            self.push_arweave(&did, "exercise", 1, mined, data);
            dids.push(did);
        }
        dids
    }

    /// A warm-up (usually), 2–6 main movements and a cool-down (usually): 3–8 in all.
    fn workout_plan(&mut self) -> Vec<usize> {
        let of = |k: &str| -> Vec<usize> {
            (0..EXERCISES.len())
                .filter(|&i| EXERCISES[i].3 == k)
                .collect()
        };
        let (warm, main, cool) = (of(WARM), of(MAIN), of(COOL));
        let (with_warm, with_cool) = (self.rng.chance(85), self.rng.chance(80));
        let count = self
            .rng
            .range(if with_warm || with_cool { 2 } else { 3 }, 6) as usize;
        let mut plan = Vec::new();
        if with_warm {
            plan.push(warm[self.rng.below(warm.len())]);
        }
        plan.extend(
            self.rng
                .sample(main.len(), count)
                .into_iter()
                .map(|i| main[i]),
        );
        if with_cool {
            plan.push(cool[self.rng.below(cool.len())]);
        }
        plan
    }

    fn workouts(&mut self, exercises: &[String]) -> Vec<(String, &'static str)> {
        let mut dids = Vec::new();
        for &name in WORKOUTS {
            let (did, mined) = (self.did(), self.mine());
            let plan = self.workout_plan();
            let has = |k: &str| plan.iter().any(|&i| EXERCISES[i].3 == k);
            let (mut amounts, mut units, mut notes) = (Vec::new(), Vec::new(), Vec::new());
            for &i in &plan {
                let main = EXERCISES[i].3 == MAIN;
                amounts.push(if main {
                    self.rng.range(8, 15)
                } else {
                    self.rng.range(2, 5)
                });
                units.push(if main { "reps" } else { "minutes" });
                notes.push(SET_NOTES[self.rng.below(SET_NOTES.len())]);
            }
            let refs: Vec<&str> = plan.iter().map(|&i| exercises[i].as_str()).collect();
            let minutes = plan.len() as i64 * 4 + self.rng.range(5, 20);
            let calories = minutes * self.rng.range(7, 11);
            let goal_count = self.rng.range(1, 3) as usize;
            let goals = self.rng.sample_of(GOALS, goal_count);
            let desc = Some(format!(
                "A {minutes}-minute session for {}.",
                goals.join(", ")
            ));
            let tag_list = tags(&[&goals[..], &["workout"]].concat());
            let data = json!({
                "basic": basic(name, desc, mined.1, "English", tag_list),
                "workout": {
                    "total_duration_minutes": minutes, "estimated_calories_burned": calories,
                    "includesWarmup": has(WARM), "includesMain": has(MAIN),
                    "includesCooldown": has(COOL), "exercise": refs, "exercise_amount": amounts,
                    "exercise_unit": units, "exercise_comment": notes, "goalTags": goals,
                },
            });
            self.push_arweave(&did, "workout", 1, mined, data);
            dids.push((did, name));
        }
        dids
    }

    fn ingredients(&mut self) -> Vec<String> {
        let mut dids = Vec::new();
        for Ing(name, amount, unit, [cal, protein, fat, carbs, sodium, chol], allergens) in
            INGREDIENTS
        {
            let (did, mined) = (self.did(), self.mine());
            let desc = Some(format!("Nutrition facts per {amount} {unit} of {name}."));
            // Oats are usually processed alongside wheat.
            let gluten_free = !allergens.contains(&"wheat") && *name != "rolled oats";
            let data = json!({
                "basic": basic(name, desc, mined.1, "English", tags(&["ingredient", "nutrition"])),
                "nutritionalInfo": {
                    "standardAmount": amount, "standardUnit": unit, "calories": cal,
                    "proteinG": protein, "fatG": fat, "carbohydratesG": carbs, "sodiumMg": sodium,
                    "cholesterolMg": chol, "allergens": allergens, "glutenFree": gluten_free,
                    "organic": self.rng.chance(30),
                },
            });
            self.push_arweave(&did, "nutritionalInfo", 2, mined, data);
            dids.push(did);
        }
        dids
    }

    fn recipes(&mut self, ingredients: &[String]) -> Vec<(String, &'static str)> {
        let mut dids = Vec::new();
        for &(name, cuisine, lines) in RECIPES {
            let (did, mined) = (self.did(), self.mine());
            let items = parse_ingredients(lines);
            let refs: Vec<&str> = items.iter().map(|it| ingredients[it.0].as_str()).collect();
            let names: Vec<&str> = items.iter().map(|it| INGREDIENTS[it.0].0).collect();
            let (prep, cook) = (self.rng.range(2, 6) * 5, self.rng.range(0, 9) * 5);
            let steps = format!(
                "Prepare the {}. Cook over medium heat for about {cook} minutes, stirring \
                 occasionally. Season to taste and serve.",
                names.join(", ")
            );
            let desc = Some(format!(
                "A {cuisine} favourite ready in {} minutes.",
                prep + cook
            ));
            let author = AUTHORS[self.rng.below(AUTHORS.len())];
            let data = json!({
                "basic": basic(name, desc, mined.1, "English", tags(&["recipe", cuisine])),
                "recipe": {
                    "prep_time_mins": prep, "cook_time_mins": cook, "total_time_mins": prep + cook,
                    "servings": self.rng.range(2, 6), "ingredient": refs,
                    "ingredient_amount": items.iter().map(|it| it.1).collect::<Vec<_>>(),
                    "ingredient_unit": items.iter().map(|it| it.2).collect::<Vec<_>>(),
                    "ingredient_comment": items.iter().map(|it| it.3).collect::<Vec<_>>(),
                    "instructions": steps, "cuisine": cuisine, "author": author,
                },
            });
            self.push_arweave(&did, "recipe", 2, mined, data);
            dids.push((did, name));
        }
        dids
    }

    fn images(&mut self) -> Vec<String> {
        let mut dids = Vec::new();
        for (i, &(stem, caption)) in IMAGES.iter().enumerate() {
            let (did, mined) = (self.did(), self.mine());
            let (ext, mime) = if i % 4 == 3 {
                ("png", "image/png")
            } else {
                ("jpg", "image/jpeg")
            };
            let (width, height) = if i % 3 == 0 {
                (1080, 1350)
            } else {
                (1920, 1080)
            };
            // Photos are the records most often published bare: no tags, no description.
            let tag_list = if i % 5 == 4 {
                Vec::new()
            } else {
                tags(&["photo", "stock"])
            };
            let desc = (i % 6 != 5).then(|| format!("{caption}."));
            let tx = &did["did:arweave:".len()..];
            let mut data = json!({
                "basic": basic(caption, desc, mined.1, "English", tag_list),
                "image": {
                    "webUrl": format!("https://arweave.net/{tx}"), "filename": format!("{stem}.{ext}"),
                    "contentType": mime, "size": self.rng.range(180_000, 2_400_000),
                    "width": width, "height": height,
                },
            });
            data["basic"]["nsfw"] = json!(false);
            self.push_arweave(&did, "image", 0, mined, data);
            dids.push(did);
        }
        dids
    }

    /// Citations point only backwards except inside the one deliberate cycle,
    /// so that pair is the only loop in the whole reference graph.
    fn citations(&mut self, i: usize, posts: &[String], dangling: &str) -> Vec<String> {
        match i {
            CYCLE_A => vec![posts[CYCLE_B].clone(), posts[2].clone()],
            CYCLE_B => vec![posts[CYCLE_A].clone()],
            DANGLING_POST => vec![posts[9].clone(), dangling.to_string()],
            _ if i >= 3 && self.rng.chance(45) => {
                let n = self.rng.range(1, 2) as usize;
                self.rng
                    .sample(i, n)
                    .into_iter()
                    .map(|j| posts[j].clone())
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Posts, with the delete messages mined just before the last post: it is
    /// still pending and so must be the newest Arweave record.
    fn posts(&mut self, images: &[String]) {
        let dids: Vec<String> = POSTS.iter().map(|_| self.did()).collect();
        let dangling = self.did();
        for (i, did) in dids.iter().enumerate() {
            let pending = i + 1 == POSTS.len();
            if pending {
                self.deletes();
            }
            let mined = self.mine();
            let mut data = post_data(i, mined.1, images);
            let cites = self.citations(i, &dids, &dangling);
            if !cites.is_empty() {
                data["basic"]["citations"] = json!(cites);
            }
            let mut oip = self.arweave_oip(did, "post", 0, mined.0);
            if pending {
                oip["recordStatus"] = json!("pending confirmation in Arweave");
                oip.as_object_mut().map(|o| o.shift_remove("didTx"));
            }
            self.out.push(json!({ "data": data, "oip": oip }));
        }
    }

    fn deletes(&mut self) {
        for _ in 0..2 {
            // Targets are never stored: these deletes arrived after the record was purged.
            let (did, target, mined) = (self.did(), self.did(), self.mine());
            self.push_arweave(&did, "delete", 0, mined, json!({"delete": {"did": target}}));
        }
    }

    fn schedules(&mut self, who: Who, workouts: &[(String, &str)]) -> Vec<(String, bool)> {
        // The other user joins later, so only some of their sessions are done.
        let (start, count) = if who == Who::Owner {
            (GUN_EPOCH, 20)
        } else {
            (DEMO_NOW - 3 * DAY, 4)
        };
        let mut result = Vec::new();
        for k in 0..count {
            let when = start + k * 2 * DAY + self.rng.range(6, 19) * 3600;
            let created = when - self.rng.range(1, 4) * DAY - self.rng.range(0, 3599);
            let (workout, name) = &workouts[self.rng.below(workouts.len())];
            let planned = when >= DEMO_NOW;
            let did = self.gun_did(who, "workoutSchedule", created);
            let title = format!("{name} on {}", &iso8601(when, 0)[..10]);
            let data = json!({
                "basic": basic(&title, None, created, "en", tags(&["schedule", "workout"])),
                "workoutSchedule": {
                    "scheduled_date": when, "workout_reference": workout,
                    "status": if planned { "planned" } else { "done" },
                },
            });
            self.push_gun(&did, "workoutSchedule", who, created, data, Some("private"));
            result.push((did, planned));
        }
        result
    }

    fn meal_plans(&mut self, who: Who, recipes: &[(String, &str)]) -> Vec<String> {
        const MEALS: [&str; 3] = ["breakfast", "lunch", "dinner"];
        let (start, count) = if who == Who::Owner {
            (GUN_EPOCH + DAY, 10)
        } else {
            (DEMO_NOW, 2)
        };
        let mut dids = Vec::new();
        for k in 0..count {
            let date = start + k * 3 * DAY;
            let created = date - self.rng.range(1, 3) * DAY + self.rng.range(0, 3599);
            let meals = self.rng.range(1, 3) as usize;
            let picks = self.rng.sample(recipes.len(), meals);
            let refs: Vec<&str> = picks.iter().map(|&p| recipes[p].0.as_str()).collect();
            let names: Vec<&str> = picks.iter().map(|&p| recipes[p].1).collect();
            let servings: Vec<i64> = picks.iter().map(|_| self.rng.range(1, 4)).collect();
            let did = self.gun_did(who, "mealPlan", created);
            let title = format!("Meals for {}", &iso8601(date, 0)[..10]);
            let data = json!({
                "basic": basic(&title, Some(names.join(", ")), created, "en", tags(&["meal plan"])),
                "mealPlan": {
                    "meal_date": date, "meal_reference": refs, "meal_type": &MEALS[3 - meals..],
                    "servings": servings,
                },
            });
            self.push_gun(&did, "mealPlan", who, created, data, Some("private"));
            dids.push(did);
        }
        dids
    }

    fn profile(
        &mut self,
        who: Who,
        schedules: &[(String, bool)],
        equipment: &[&str],
        plans: &[String],
    ) {
        let (person, goal, level, days) = match who {
            Who::Owner => ("Alex Rivera", "build strength", "intermediate", 4),
            Who::Other => ("Jamie Park", "improve mobility", "beginner", 3),
        };
        let created = GUN_EPOCH - self.rng.range(2, 5) * DAY;
        let active = schedules
            .iter()
            .find(|s| s.1)
            .or(schedules.last())
            .map(|s| s.0.as_str());
        let all: Vec<&str> = schedules.iter().map(|s| s.0.as_str()).collect();
        let did = self.gun_did(who, "userFitnessProfile", created);
        let title = format!("{person}'s fitness profile");
        let data = json!({
            "basic": basic(&title, None, created, "en", tags(&["fitness", "profile"])),
            "userFitnessProfile": {
                "fitness_goal": goal, "experience_level": level, "training_days_per_week": days,
                "active_schedule": active, "schedules": all, "preferred_equipment": equipment,
                "meal_plans": plans,
            },
        });
        self.push_gun(
            &did,
            "userFitnessProfile",
            who,
            created,
            data,
            Some("private"),
        );
    }

    /// Public GUN notes (one bare, one explicitly public) so GUN has public
    /// results, and one workout the owner shares with the other user.
    fn gun_extras(&mut self, exercises: &[String]) {
        let notes = [
            (
                Who::Owner,
                None,
                "Notes from my first month of kettlebell training",
                "Alex Rivera",
            ),
            (
                Who::Other,
                Some("public"),
                "The stretches that fixed my desk-job back",
                "Jamie Park",
            ),
        ];
        for (who, level, title, byline) in notes {
            let created = DEMO_NOW - self.rng.range(1, 6) * DAY;
            let did = self.gun_did(who, "post", created);
            let text = format!("{title}. Consistency beat intensity every single week.");
            let data = json!({
                "basic": basic(title, None, created, "en", tags(&["notes", "fitness"])),
                "post": {"bylineWriter": byline, "articleText": text},
            });
            self.push_gun(&did, "post", who, created, data, level);
        }
        let created = DEMO_NOW - DAY;
        let did = self.gun_did(Who::Owner, "workout", created);
        let desc = Some("A circuit to do together on Saturdays.".to_string());
        let refs = [0, 18, 16, 42].map(|i| exercises[i].as_str());
        let data = json!({
            "basic": basic("Partner Saturday Circuit", desc, created, "en", tags(&["workout"])),
            "workout": {
                "total_duration_minutes": 30, "estimated_calories_burned": 260,
                "includesWarmup": true, "includesMain": true, "includesCooldown": true,
                "exercise": refs,
                "exercise_amount": [3, 15, 12, 3], "exercise_unit": ["minutes", "reps", "reps", "minutes"],
                "exercise_comment": ["", "alternate who swings", "", "hold each side"],
                "goalTags": ["conditioning"],
            },
        });
        self.push_gun(&did, "workout", Who::Owner, created, data, Some("shared"));
    }
}

fn post_data(i: usize, date: i64, images: &[String]) -> Value {
    let (title, byline) = POSTS[i];
    let slug: String = title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    let (feature, extra) = (i % images.len(), (i + 7) % images.len());
    let topic = if i.is_multiple_of(2) {
        "fitness"
    } else {
        "food"
    };
    json!({
        "basic": {
            "name": title, "description": format!("{title}, by {byline}."), "date": date,
            "language": "English", "tagItems": ["news", topic], "nsfw": false,
        },
        "post": {
            "webUrl": format!("https://news.example.com/2025/{}", slug.replace(' ', "-")),
            "bylineWriter": byline, "featuredImage": images[feature],
            "imageItems": [images[feature], images[extra]],
            "imageCaptionItems": [IMAGES[feature].1, IMAGES[extra].1],
        },
    })
}

/// Parses a `RECIPES` ingredient list into (index into `INGREDIENTS`, amount,
/// unit, comment); rows that do not parse are dropped, and a test catches that.
fn parse_ingredients(lines: &'static str) -> Vec<(usize, f64, &'static str, &'static str)> {
    let parse = |line: &'static str| {
        let (amount, rest) = line.split_once(' ')?;
        let (unit, rest) = rest.split_once(' ')?;
        let (name, comment) = rest.split_once(", ").unwrap_or((rest, ""));
        let index = INGREDIENTS.iter().position(|ing| ing.0 == name)?;
        Some((index, amount.parse().ok()?, unit, comment))
    };
    lines.split("; ").filter_map(parse).collect()
}

#[cfg(test)]
mod tests;
