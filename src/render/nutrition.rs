//! `summarizeRecipe`: a recipe's nutrition from its ingredients' `nutritionalInfo`, scaled by the
//! amounts and units of the recipe's parallel arrays (records-api.md §4.8).
//!
//! Owns: unit conversion (weight g/kg/oz/lb/mg, volume ml/l/tsp/tbsp/cup/fl oz/pint/quart/gallon,
//! and counts such as clove/piece/whole) and the rounding of the totals. Must not: resolve
//! anything itself — the caller hands in each ingredient's `nutritionalInfo` (visible ones only).

use serde_json::{json, Map, Value};

/// Nutrients summed, with the decimals they are rounded to.
const NUTRIENTS: [(&str, i32); 6] = [
    ("calories", 0),
    ("proteinG", 1),
    ("fatG", 1),
    ("carbohydratesG", 1),
    ("sodiumMg", 0),
    ("cholesterolMg", 0),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dimension {
    Weight,
    Volume,
    Count,
}

/// A unit's dimension and size in that dimension's base (g, ml, or one item).
fn unit(raw: &str) -> Option<(Dimension, f64)> {
    let u = raw.trim().to_lowercase();
    let u = u.trim_end_matches('.');
    let table: &[(&[&str], Dimension, f64)] = &[
        (&["g", "gram", "grams", "gr"], Dimension::Weight, 1.0),
        (&["kg", "kilogram", "kilograms"], Dimension::Weight, 1000.0),
        (&["mg", "milligram", "milligrams"], Dimension::Weight, 0.001),
        (&["oz", "ounce", "ounces"], Dimension::Weight, 28.3495),
        (
            &["lb", "lbs", "pound", "pounds"],
            Dimension::Weight,
            453.592,
        ),
        (
            &["ml", "milliliter", "milliliters", "millilitre"],
            Dimension::Volume,
            1.0,
        ),
        (
            &["l", "liter", "liters", "litre", "litres"],
            Dimension::Volume,
            1000.0,
        ),
        (
            &["tsp", "teaspoon", "teaspoons"],
            Dimension::Volume,
            4.92892,
        ),
        (
            &["tbsp", "tablespoon", "tablespoons", "tbs"],
            Dimension::Volume,
            14.7868,
        ),
        (&["cup", "cups"], Dimension::Volume, 236.588),
        (
            &["fl oz", "fluid ounce", "fluid ounces"],
            Dimension::Volume,
            29.5735,
        ),
        (&["pint", "pints"], Dimension::Volume, 473.176),
        (&["quart", "quarts"], Dimension::Volume, 946.353),
        (&["gallon", "gallons"], Dimension::Volume, 3785.41),
    ];
    if let Some((_, dim, size)) = table.iter().find(|(names, _, _)| names.contains(&u)) {
        return Some((*dim, *size));
    }
    // Anything else names a countable thing: clove(s), piece, whole, slice, egg, …
    (!u.is_empty() || raw.is_empty()).then_some((Dimension::Count, 1.0))
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// How many standard amounts of an ingredient `amount unit` is, if the units are comparable.
fn portions(amount: f64, unit_name: &str, info: &Map<String, Value>) -> Option<f64> {
    let standard = number(info.get("standardAmount")).filter(|s| *s > 0.0)?;
    let standard_unit = info.get("standardUnit")?.as_str()?;
    let (have_dim, have_size) = unit(unit_name)?;
    let (std_dim, std_size) = unit(standard_unit)?;
    (have_dim == std_dim).then(|| amount * have_size / (standard * std_size))
}

/// The `{total, per serving}` summaries of a recipe section, given each ingredient's
/// `nutritionalInfo` (`None` when its reference does not resolve for the caller); `None` when
/// fewer than a quarter of the ingredients (at least one) could be counted.
pub fn summarize(
    recipe: &Map<String, Value>,
    infos: &[Option<Map<String, Value>>],
) -> Option<(Value, Value)> {
    let amounts = recipe.get("ingredient_amount")?.as_array()?;
    let units = recipe.get("ingredient_unit")?.as_array()?;
    let comments = recipe.get("ingredient_comment").and_then(Value::as_array);
    let mut totals = [0.0_f64; NUTRIENTS.len()];
    let mut counted = 0;
    for (i, info) in infos.iter().enumerate() {
        let comment = comments
            .and_then(|c| c.get(i))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_lowercase();
        if ["optional", "as desired", "to taste"]
            .iter()
            .any(|w| comment.contains(w))
        {
            continue;
        }
        let Some(amount) = number(amounts.get(i)).filter(|a| *a > 0.0) else {
            continue;
        };
        let unit_name = units.get(i).and_then(Value::as_str).unwrap_or("");
        let Some(info) = info else { continue };
        let Some(factor) = portions(amount, unit_name, info) else {
            continue;
        };
        for (total, (name, _)) in totals.iter_mut().zip(NUTRIENTS) {
            *total += number(info.get(name)).unwrap_or(0.0) * factor;
        }
        counted += 1;
    }
    let needed = (infos.len() as f64 * 0.25).ceil().max(1.0) as usize;
    if counted < needed {
        return None;
    }
    let servings = number(recipe.get("servings"))
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0);
    let render = |divisor: f64| {
        let mut out = Map::new();
        for (total, (name, decimals)) in totals.iter().zip(NUTRIENTS) {
            let scale = 10_f64.powi(decimals);
            let v = (total / divisor * scale).round() / scale;
            out.insert(
                name.into(),
                if decimals == 0 {
                    json!(v as i64)
                } else {
                    json!(v)
                },
            );
        }
        Value::Object(out)
    };
    Some((render(1.0), render(servings)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(v: Value) -> Option<Map<String, Value>> {
        v.as_object().cloned()
    }

    #[test]
    fn scales_by_unit_and_divides_by_servings() {
        let recipe = json!({"ingredient": ["a", "b", "c", "d"], "ingredient_amount": [3, 1.5, 2, 1], "ingredient_unit": ["cloves", "lb", "tbsp", "cup"],
            "ingredient_comment": ["minced", "", "", "to taste"], "servings": 2});
        let infos = vec![
            info(
                json!({"standardAmount": 1, "standardUnit": "clove", "calories": 4.5, "proteinG": 0.19}),
            ),
            info(
                json!({"standardAmount": 4, "standardUnit": "oz", "calories": 143, "proteinG": 20, "sodiumMg": 70}),
            ),
            info(
                json!({"standardAmount": 1, "standardUnit": "tbsp", "calories": 119, "fatG": 13.5}),
            ),
            info(json!({"standardAmount": 1, "standardUnit": "cup", "calories": 1000})),
        ];
        let (total, per) = summarize(recipe.as_object().unwrap(), &infos).unwrap();
        // garlic 3 × 4.5; chicken 1.5 lb = 24 oz = 6 × 4 oz; oil 2 × 119; salt skipped "to taste".
        let calories: f64 = 3.0 * 4.5 + 6.0 * 143.0 + 2.0 * 119.0;
        assert_eq!(total["calories"], json!(calories.round() as i64));
        assert_eq!(total["fatG"], json!(27.0));
        assert_eq!(
            total["proteinG"],
            json!(((3.0 * 0.19 + 120.0) * 10.0_f64).round() / 10.0)
        );
        assert_eq!(total["sodiumMg"], json!(420));
        assert_eq!(per["calories"], json!((calories / 2.0).round() as i64));
    }

    #[test]
    fn too_few_known_ingredients_give_no_summary() {
        let recipe = json!({"ingredient_amount": [1, 1, 1, 1, 1], "ingredient_unit": ["g", "g", "g", "g", "g"]});
        let known = info(json!({"standardAmount": 100, "standardUnit": "g", "calories": 50}));
        assert!(summarize(
            recipe.as_object().unwrap(),
            &[known.clone(), None, None, None, None]
        )
        .is_none());
        assert!(summarize(
            recipe.as_object().unwrap(),
            &[known.clone(), known, None, None, None]
        )
        .is_some());
        let mismatched = info(json!({"standardAmount": 1, "standardUnit": "cup", "calories": 50}));
        assert!(
            summarize(
                recipe.as_object().unwrap(),
                &[
                    mismatched.clone(),
                    mismatched.clone(),
                    mismatched,
                    None,
                    None
                ]
            )
            .is_none(),
            "grams do not convert to cups"
        );
    }
}
