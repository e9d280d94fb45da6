//! Generated run names in MLflow's shape, `adjective-noun-NNN` (at most 20 characters), from our
//! own word lists. Every word has at most 7 letters, so `7 + 1 + 7 + 1 + 4` never exceeds 20
//! and no name needs cutting.

const ADJECTIVES: &[&str] = &[
    "amber", "ample", "azure", "bold", "brave", "breezy", "bright", "brisk", "calm", "candid", "clever", "cosmic",
    "crisp", "curious", "dapper", "daring", "dazzled", "eager", "earnest", "elegant", "fancy", "fleet", "fluent",
    "gentle", "gifted", "glossy", "golden", "grand", "hardy", "hearty", "humble", "jolly", "jovial", "keen", "kind",
    "lively", "lucid", "lucky", "mellow", "merry", "mighty", "modest", "nimble", "noble", "patient", "placid",
    "plucky", "polite", "proud", "quick", "quiet", "radiant", "rapid", "rustic", "serene", "sharp", "shiny", "silent",
    "sleek", "smooth", "snappy", "solid", "spry", "steady", "sturdy", "sunny", "swift", "tidy", "trusty", "upbeat",
    "valiant", "vivid", "warm", "wise", "witty", "zesty",
];

const NOUNS: &[&str] = &[
    "acorn", "alder", "badger", "basil", "beacon", "beetle", "birch", "bison", "canyon", "cedar", "comet", "condor",
    "coral", "cricket", "delta", "dune", "eagle", "ember", "falcon", "fern", "finch", "fjord", "fox", "galaxy",
    "gecko", "geyser", "glacier", "harbor", "hawk", "heron", "ibex", "island", "jaguar", "kestrel", "koala", "lagoon",
    "lark", "lemur", "lynx", "maple", "meadow", "meteor", "moose", "nebula", "newt", "oasis", "orca", "osprey",
    "otter", "panda", "pebble", "pine", "plover", "prairie", "quail", "quartz", "raven", "reef", "river", "robin",
    "salmon", "sparrow", "spruce", "summit", "swan", "thrush", "tiger", "tundra", "valley", "walrus", "willow",
    "wombat", "wren", "yak", "zebra",
];

/// Longest name MLflow generates.
pub const MAX_RUN_NAME_LENGTH: usize = 20;

pub fn generate_run_name() -> String {
    let adjective = ADJECTIVES[fastrand::usize(..ADJECTIVES.len())];
    let noun = NOUNS[fastrand::usize(..NOUNS.len())];
    // MLflow draws the number from 0 to 1000 inclusive, unpadded.
    format!("{adjective}-{noun}-{}", fastrand::u32(0..=1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_possible_name_fits_mlflows_limit() {
        let longest = |words: &[&str]| words.iter().map(|w| w.len()).max().unwrap();
        assert!(longest(ADJECTIVES) + longest(NOUNS) + 2 + 4 <= MAX_RUN_NAME_LENGTH);
        for word in ADJECTIVES.iter().chain(NOUNS) {
            assert!(word.chars().all(|c| c.is_ascii_lowercase()), "{word}");
        }
    }

    #[test]
    fn names_have_the_shape() {
        for _ in 0..200 {
            let name = generate_run_name();
            let parts: Vec<&str> = name.split('-').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert!(parts[2].parse::<u32>().unwrap() <= 1000);
        }
    }
}
