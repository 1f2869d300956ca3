//! Greedy CTC decoding of the recognition model's per-step class probabilities.

/// Decodes `steps x classes` probabilities (row-major): the best class per step,
/// repeats collapsed, blanks (class 0) dropped. Class `i > 0` is `dict[i - 1]`; the class
/// after the dictionary is a space. Returns the text and the mean probability of the
/// kept characters (0 when there are none).
pub fn decode(probs: &[f32], classes: usize, dict: &[String]) -> (String, f32) {
    let mut text = String::new();
    let (mut sum, mut n) = (0f32, 0usize);
    let mut prev = 0usize;
    for step in probs.chunks_exact(classes) {
        let (best, p) =
            step.iter().enumerate().fold(
                (0, f32::MIN),
                |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc },
            );
        if best != 0 && best != prev {
            match dict.get(best - 1) {
                Some(c) => text.push_str(c),
                None => text.push(' '),
            }
            sum += p;
            n += 1;
        }
        prev = best;
    }
    (text, if n == 0 { 0.0 } else { sum / n as f32 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_collapse_blanks_separate_and_the_last_class_is_a_space() {
        let dict: Vec<String> = ["a", "b"].iter().map(ToString::to_string).collect();
        // classes: blank, a, b, space
        let one_hot = |c: usize| {
            let mut v = vec![0.0f32; 4];
            v[c] = 0.9;
            v
        };
        let steps: Vec<f32> = [1, 1, 0, 1, 2, 2, 3, 2]
            .iter()
            .flat_map(|&c| one_hot(c))
            .collect();
        let (text, conf) = decode(&steps, 4, &dict);
        assert_eq!(text, "aab b");
        assert!((conf - 0.9).abs() < 1e-6);
        assert_eq!(decode(&one_hot(0), 4, &dict), (String::new(), 0.0));
    }
}
