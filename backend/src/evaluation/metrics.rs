//! Ranking metrics with graded relevance: nDCG@k (linear gain = grade, log2 discount), Recall@k
//! (a team counts as relevant at grade ≥ 1) and reciprocal rank; and the Gini coefficient of how
//! often each team is exposed.

use std::collections::HashMap;

/// Graded judgments of one order: team id → grade (unlisted teams are 0).
pub type Judgments = HashMap<String, u32>;

fn discount(rank: usize) -> f64 {
    1.0 / ((rank + 2) as f64).log2()
}

pub fn ndcg_at(ranking: &[String], judgments: &Judgments, k: usize) -> f64 {
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .map(|(rank, team)| f64::from(*judgments.get(team).unwrap_or(&0)) * discount(rank))
        .sum();
    let mut ideal: Vec<u32> = judgments.values().copied().filter(|g| *g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(rank, grade)| f64::from(*grade) * discount(rank))
        .sum();
    if idcg == 0.0 { 0.0 } else { dcg / idcg }
}

pub fn recall_at(ranking: &[String], judgments: &Judgments, k: usize) -> f64 {
    let relevant = judgments.values().filter(|g| **g >= 1).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranking
        .iter()
        .take(k)
        .filter(|team| judgments.get(*team).is_some_and(|g| *g >= 1))
        .count();
    found as f64 / relevant as f64
}

pub fn reciprocal_rank(ranking: &[String], judgments: &Judgments) -> f64 {
    ranking
        .iter()
        .position(|team| judgments.get(team).is_some_and(|g| *g >= 1))
        .map_or(0.0, |rank| 1.0 / (rank + 1) as f64)
}

/// Gini coefficient of `counts` (0 = perfectly even, towards 1 = all on one).
pub fn gini(counts: &[u64]) -> f64 {
    let n = counts.len();
    let total: u64 = counts.iter().sum();
    if n == 0 || total == 0 {
        return 0.0;
    }
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64 + 1.0) * *c as f64)
        .sum();
    (2.0 * weighted) / (n as f64 * total as f64) - (n as f64 + 1.0) / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, u32)]) -> Judgments {
        pairs.iter().map(|(t, g)| ((*t).to_owned(), *g)).collect()
    }

    fn ranking(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn ideal_order_scores_one_and_a_swap_scores_less() {
        let judgments = judged(&[("a", 3), ("b", 1)]);
        assert!((ndcg_at(&ranking(&["a", "b"]), &judgments, 10) - 1.0).abs() < 1e-9);
        let swapped = ndcg_at(&ranking(&["b", "a"]), &judgments, 10);
        let expected = (1.0 + 3.0 / 3f64.log2()) / (3.0 + 1.0 / 3f64.log2());
        assert!((swapped - expected).abs() < 1e-9);
        assert_eq!(recall_at(&ranking(&["x", "b"]), &judgments, 10), 0.5);
        assert_eq!(reciprocal_rank(&ranking(&["x", "b"]), &judgments), 0.5);
        assert_eq!(ndcg_at(&ranking(&["x"]), &judgments, 10), 0.0);
    }

    #[test]
    fn gini_is_zero_when_even_and_high_when_concentrated() {
        assert_eq!(gini(&[5, 5, 5, 5]), 0.0);
        assert!((gini(&[0, 0, 0, 8]) - 0.75).abs() < 1e-9);
    }
}
