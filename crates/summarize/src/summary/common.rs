//! Common English words of four letters or more: frequent everywhere, so never a
//! document's key term (`check::key_terms` leaves them out).

/// Sorted, for binary search.
const COMMON: &[&str] = &[
    "able", "about", "above", "across", "actually", "after", "again", "against", "almost",
    "alone", "along", "already", "also", "although", "always", "among", "another", "anyone",
    "anything", "anyway", "around", "asked", "away", "back", "became", "because", "become",
    "becomes", "been", "before", "began", "behind", "being", "believe", "below", "best",
    "better", "between", "both", "bring", "brought", "call", "called", "came", "cannot",
    "case", "cases", "certain", "clear", "close", "come", "comes", "coming", "could",
    "course", "days", "didn", "different", "does", "doing", "done", "down", "during",
    "each", "early", "either", "else", "enough", "even", "ever", "every", "example", "fact",
    "feel", "felt", "find", "first", "five", "following", "form", "found", "four", "from",
    "full", "gave", "general", "get", "gets", "getting", "give", "given", "gives", "goes",
    "going", "gone", "good", "great", "half", "hand", "happen", "hard", "have", "having",
    "help", "here", "high", "himself", "hold", "however", "idea", "important", "include",
    "included", "includes", "including", "instead", "into", "itself", "just", "keep",
    "kept", "kind", "knew", "know", "known", "large", "last", "late", "later", "least",
    "left", "less", "like", "likely", "line", "little", "long", "look", "looked", "lost",
    "made", "main", "make", "makes", "making", "many", "matter", "maybe", "mean", "means",
    "might", "more", "most", "much", "must", "myself", "near", "nearly", "need", "needed",
    "needs", "never", "next", "nothing", "often", "once", "only", "open", "other", "others",
    "otherwise", "ourselves", "over", "part", "parts", "perhaps", "place", "point",
    "possible", "rather", "read", "real", "really", "right", "said", "same", "saw", "says",
    "second", "seem", "seemed", "seems", "seen", "several", "shall", "short", "should",
    "show", "shown", "shows", "side", "simple", "simply", "since", "small", "some",
    "someone", "something", "sometimes", "soon", "still", "such", "sure", "take", "taken",
    "takes", "tell", "than", "that", "their", "them", "themselves", "then", "there",
    "therefore", "these", "they", "thing", "things", "think", "third", "this", "those",
    "though", "three", "through", "thus", "time", "times", "together", "told", "took",
    "toward", "towards", "true", "turn", "turned", "under", "until", "upon", "usually",
    "very", "want", "wanted", "well", "went", "were", "what", "whatever", "when", "where",
    "whether", "which", "while", "whole", "whom", "whose", "will", "with", "within",
    "without", "work", "would", "year", "years", "your", "yourself",
];

/// Whether `word` (lower case) is a common English word.
pub(crate) fn is_common(word: &str) -> bool {
    COMMON.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_is_sorted_and_lower_case() {
        assert!(super::COMMON.windows(2).all(|w| w[0] < w[1]));
        assert!(super::COMMON.iter().all(|w| w.chars().all(|c| c.is_ascii_lowercase())));
        assert!(super::is_common("have") && !super::is_common("siege"));
    }
}
