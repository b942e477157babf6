use super::{Plan, wanted};
use crate::{piece::Part, score::MoodId};

const CALM: MoodId = MoodId::from_index(0);
const STORM: MoodId = MoodId::from_index(1);
const BOSS: MoodId = MoodId::from_index(2);

/// Calm has two main variants, storm one, boss three; the score has two stingers.
const VARIANTS: [u32; 3] = [2, 1, 3];

fn plan<'a>(bed: Option<MoodId>, target: Option<MoodId>, likely: &'a [MoodId]) -> Plan<'a> {
    Plan {
        bed,
        target,
        bridge: false,
        stinger_requests: &[],
        likely,
        variants: &VARIANTS,
        stingers: 2,
    }
}

fn nothing_at_hand(_: MoodId, _: Part) -> bool {
    false
}

fn position(list: &[(MoodId, Part)], piece: (MoodId, Part)) -> usize {
    list.iter()
        .position(|p| *p == piece)
        .unwrap_or_else(|| panic!("{piece:?} is not asked for: {list:?}"))
}

#[test]
fn from_silence_the_target_main_and_intro_come_first_then_neighbours_mains_then_its_variants() {
    let list = wanted(&plan(None, Some(CALM), &[STORM]), nothing_at_hand);
    assert_eq!(
        list,
        [
            (CALM, Part::Main(0)),
            (CALM, Part::Intro),
            (STORM, Part::Main(0)),
            (CALM, Part::Main(1)),
            (STORM, Part::Intro),
            (STORM, Part::Outro),
        ]
    );
}

#[test]
fn a_bridged_change_asks_for_the_bed_outro_and_target_intro_right_after_the_target_main() {
    let requests = [1];
    let likely = [BOSS];
    let plan = Plan {
        bridge: true,
        stinger_requests: &requests,
        ..plan(Some(CALM), Some(STORM), &likely)
    };
    assert_eq!(
        wanted(&plan, nothing_at_hand),
        [
            // A stinger asked for is due on the next beat.
            (CALM, Part::Stinger(1)),
            (STORM, Part::Main(0)),
            (CALM, Part::Outro),
            (STORM, Part::Intro),
            (CALM, Part::Main(1)),
            (BOSS, Part::Main(0)),
            // The bed's outro and stinger 1 are not asked for twice.
            (CALM, Part::Stinger(0)),
            (BOSS, Part::Intro),
            (BOSS, Part::Outro),
        ]
    );
}

#[test]
fn an_unbridged_change_asks_for_no_intro_and_the_bed_outro_only_after_the_neighbours_mains() {
    let list = wanted(&plan(Some(CALM), Some(BOSS), &[STORM]), nothing_at_hand);
    assert_eq!(
        list,
        [
            (BOSS, Part::Main(0)),
            (CALM, Part::Main(1)),
            (STORM, Part::Main(0)),
            (CALM, Part::Outro),
            (CALM, Part::Stinger(0)),
            (CALM, Part::Stinger(1)),
            (BOSS, Part::Main(1)),
            (BOSS, Part::Main(2)),
            (STORM, Part::Intro),
            (STORM, Part::Outro),
        ]
    );
    assert!(!list.contains(&(BOSS, Part::Intro)));
}

#[test]
fn the_current_moods_mains_come_before_any_neighbours_intro() {
    for bed in [None, Some(CALM)] {
        let list = wanted(&plan(bed, Some(BOSS), &[STORM, CALM]), nothing_at_hand);
        let first_neighbour_intro = position(&list, (STORM, Part::Intro));
        for v in 0..VARIANTS[BOSS.index()] {
            assert!(position(&list, (BOSS, Part::Main(v))) < first_neighbour_intro);
        }
        if let Some(bed) = bed {
            assert!(position(&list, (bed, Part::Main(1))) < first_neighbour_intro);
        }
    }
}

#[test]
fn nothing_at_hand_is_asked_for_again_and_the_rest_keeps_its_order() {
    let likely = [STORM];
    let plan = plan(Some(CALM), Some(BOSS), &likely);
    let all = wanted(&plan, nothing_at_hand);
    let cached = [
        (BOSS, Part::Main(0)),
        (CALM, Part::Stinger(1)),
        (STORM, Part::Intro),
    ];
    let list = wanted(&plan, |mood, part| cached.contains(&(mood, part)));
    for piece in cached {
        assert!(!list.contains(&piece), "{piece:?} is at hand: {list:?}");
    }
    let expected: Vec<_> = all.into_iter().filter(|p| !cached.contains(p)).collect();
    assert_eq!(list, expected);
    assert!(wanted(&plan, |_, _| true).is_empty());
}

#[test]
fn each_piece_is_asked_for_once_even_when_moods_repeat() {
    // The bed and the target among the likely moods, one of them twice.
    let likely = [CALM, BOSS, CALM];
    let requests = [0, 0];
    let plan = Plan {
        bridge: true,
        stinger_requests: &requests,
        ..plan(Some(CALM), Some(BOSS), &likely)
    };
    let list = wanted(&plan, nothing_at_hand);
    for (i, piece) in list.iter().enumerate() {
        assert!(!list[i + 1..].contains(piece), "{piece:?} twice: {list:?}");
    }
    // Calm: intro, two mains, outro, two stingers; boss: intro, three mains, outro.
    assert_eq!(list.len(), (1 + 2 + 1 + 2) + (1 + 3 + 1));
}

#[test]
fn the_same_plan_gives_the_same_order() {
    let likely = [STORM, BOSS];
    let requests = [1, 0];
    let plan = Plan {
        bridge: true,
        stinger_requests: &requests,
        ..plan(Some(CALM), Some(BOSS), &likely)
    };
    let first = wanted(&plan, |mood, part| mood == STORM && part == Part::Outro);
    for _ in 0..3 {
        assert_eq!(
            wanted(&plan, |mood, part| mood == STORM && part == Part::Outro),
            first
        );
    }
    // Stingers asked for come in the order asked.
    assert_eq!(
        first[..2],
        [(CALM, Part::Stinger(1)), (CALM, Part::Stinger(0))]
    );
}

#[test]
fn with_no_bed_and_no_target_only_the_likely_moods_are_prepared() {
    let list = wanted(&plan(None, None, &[BOSS, STORM]), nothing_at_hand);
    assert_eq!(
        list,
        [
            (BOSS, Part::Main(0)),
            (STORM, Part::Main(0)),
            (BOSS, Part::Intro),
            (BOSS, Part::Outro),
            (STORM, Part::Intro),
            (STORM, Part::Outro),
        ]
    );
}
