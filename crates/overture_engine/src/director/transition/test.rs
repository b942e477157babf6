use overture_core::mood::Mood;

use super::Transitions;
use crate::score::{MoodSpec, Quantize, RampShape, Score, Transition, TransitionRule};

fn rule(from: Option<&str>, to: Option<&str>, transition: Transition) -> TransitionRule {
    TransitionRule {
        from: from.map(Into::into),
        to: to.map(Into::into),
        transition,
    }
}

#[test]
fn the_table_gives_every_pair_the_transition_the_score_rules_give_by_name() {
    let names = ["calm", "storm", "boss"];
    let mut score = Score::new(
        names
            .iter()
            .map(|n| MoodSpec::new(*n, Mood::new(0.0, 0.0).unwrap()))
            .collect(),
    );
    score.default_transition = Transition::at(Quantize::Phrase(2));
    score.transitions = vec![
        rule(None, Some("boss"), Transition::at(Quantize::Beat)),
        rule(
            Some("calm"),
            None,
            Transition::at(Quantize::Bar).bridge(true),
        ),
        rule(
            Some("calm"),
            Some("storm"),
            Transition::at(Quantize::Beat).curve(RampShape::Linear),
        ),
        rule(
            Some("storm"),
            Some("calm"),
            Transition::at(Quantize::Bar).crossfade_beats(4.0),
        ),
    ];
    let table = Transitions::new(&score);
    let mut distinct = Vec::new();
    for to in score.mood_ids() {
        let to_name = names[to.index()];
        assert_eq!(table.get(None, to), score.transition(None, to_name));
        for from in score.mood_ids() {
            let t = table.get(Some(from), to);
            assert_eq!(t, score.transition(Some(names[from.index()]), to_name));
            if !distinct.contains(&t) {
                distinct.push(t);
            }
        }
    }
    // Every rule and the default are in use somewhere.
    assert_eq!(distinct.len(), 5, "{distinct:#?}");
}
