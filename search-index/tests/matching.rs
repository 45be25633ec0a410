//! The matcher end to end with the shipped lexicon, on a real on-disk index: cross-lingual and
//! vocabulary-gap pairs are found, distractors that share surface words rank below, reasons name
//! the bridge, and no query text can make a search fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::{Rng, SeedableRng};
use yigong_search_index::index::{TeamDocument, TeamIndex};
use yigong_search_index::matcher::{Matcher, Reason};

fn team(id: &str, name: &str, capabilities: &str, language: &str) -> TeamDocument {
    TeamDocument {
        team_id: id.to_owned(),
        version: 1,
        name: name.to_owned(),
        summary: String::new(),
        capabilities: capabilities.to_owned(),
        language: language.to_owned(),
        ..Default::default()
    }
}

struct Fixture {
    matcher: Matcher,
    index: TeamIndex,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let matcher = Matcher::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let index = TeamIndex::open_or_create(dir.path(), matcher.analyzer().clone()).unwrap();
    let teams = [
        team(
            "hydrogel",
            "多糖水凝胶课题组",
            "快速交联的多糖水凝胶，组织粘合剂，可降解，止血与创面封闭。",
            "zh",
        ),
        team(
            "liver_ai",
            "肝脏影像智能分析组",
            "肝纤维化的超声弹性成像与 MRI 图像分析，肝脏表面形态的量化。",
            "zh",
        ),
        team(
            "glove",
            "Soft Rehabilitation Robotics Lab",
            "Soft pneumatic glove exoskeleton with sEMG-based intention detection for hand rehabilitation at home.",
            "en",
        ),
        team(
            "stroke_ai",
            "Stroke Imaging AI Group",
            "Deep learning on CT perfusion to estimate infarct core in acute stroke; triage software.",
            "en",
        ),
        team(
            "mattress",
            "柔性传感与智能床垫实验室",
            "柔性压力传感阵列，体压分布实时成像，智能床垫与翻身提醒。",
            "zh",
        ),
        team(
            "beds",
            "医院运营优化软件组",
            "床位管理与护士排班优化，住院流程与出院计划的运筹学模型。",
            "zh",
        ),
        team(
            "peek",
            "Spine Implant Engineering",
            "PEEK and Ti6Al4V interbody cages, ISO 13485 design control, fatigue testing per ASTM F2077.",
            "en",
        ),
    ];
    for mut document in teams {
        matcher.tag(&mut document);
        index.upsert(&document).unwrap();
    }
    index.commit().unwrap();
    Fixture {
        matcher,
        index,
        _dir: dir,
    }
}

fn ranking(fixture: &Fixture, title: &str, body: &str) -> Vec<String> {
    let query = fixture.matcher.order_query(title, body);
    fixture
        .matcher
        .search(&fixture.index, &query, 10)
        .unwrap()
        .into_iter()
        .map(|m| m.team_id)
        .collect()
}

fn position(ranking: &[String], team: &str) -> usize {
    ranking
        .iter()
        .position(|t| t == team)
        .unwrap_or_else(|| panic!("{team} not ranked: {ranking:?}"))
}

/// Where a distractor ranks; one left out of the ranking counts as after every team.
fn distractor_position(ranking: &[String], team: &str) -> usize {
    ranking.iter().position(|t| t == team).unwrap_or(usize::MAX)
}

#[test]
fn an_english_need_finds_a_chinese_team_across_the_vocabulary_gap() {
    let fixture = fixture();
    let ranked = ranking(
        &fixture,
        "Diffuse oozing from the liver resection surface",
        "After hepatectomy the cut surface keeps oozing; compression and electrocautery work poorly.",
    );
    let query = fixture.matcher.order_query(
        "Diffuse oozing from the liver resection surface",
        "After hepatectomy the cut surface keeps oozing; compression and electrocautery work poorly.",
    );
    let found = fixture.matcher.search(&fixture.index, &query, 3).unwrap();
    assert_eq!(ranked[0], "hydrogel", "{found:#?}");
    assert!(
        position(&ranked, "hydrogel") < distractor_position(&ranked, "liver_ai"),
        "the liver imaging team shares words but not the capability"
    );
}

#[test]
fn a_chinese_need_finds_an_english_team_and_beats_a_distractor_sharing_the_disease() {
    let fixture = fixture();
    let ranked = ranking(
        &fixture,
        "脑卒中后偏瘫患者手功能居家康复",
        "手指屈曲痉挛，伸指无力，抓握困难，希望能感知患者主动用力并给予辅助。",
    );
    assert_eq!(ranked[0], "glove", "{ranked:?}");
    let stroke_ai = distractor_position(&ranked, "stroke_ai");
    assert!(position(&ranked, "glove") < stroke_ai);
}

#[test]
fn a_clinical_word_reaches_an_engineering_profile_with_no_shared_word() {
    let fixture = fixture();
    let ranked = ranking(
        &fixture,
        "长期卧床患者褥疮的早期预警",
        "护士难以及时发现高风险部位。",
    );
    assert_eq!(ranked[0], "mattress", "{ranked:?}");
    let beds = distractor_position(&ranked, "beds");
    assert!(
        position(&ranked, "mattress") < beds,
        "bed management software is a distractor"
    );
    let query = fixture
        .matcher
        .order_query("长期卧床患者褥疮的早期预警", "");
    let best = fixture.matcher.search(&fixture.index, &query, 1).unwrap();
    let explained = best[0]
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::Concept { need, .. } if need == "pressure_injury"));
    assert!(
        explained,
        "the reason names the clinical concept: {:?}",
        best[0].reasons
    );
    let sentence = fixture.matcher.describe(&best[0].reasons[0], "zh-CN");
    assert!(sentence.contains('「'), "{sentence}");
}

#[test]
fn identifiers_match_whole() {
    let fixture = fixture();
    assert_eq!(ranking(&fixture, "Ti6Al4V", "")[0], "peek");
    assert_eq!(
        ranking(&fixture, "需要 ISO 13485 体系和 PEEK 椎间融合器", "")[0],
        "peek"
    );
}

#[test]
fn arbitrary_strings_never_make_a_query_fail() {
    let fixture = fixture();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_201);
    let pieces = [
        "AND",
        "OR",
        "NOT",
        "\"",
        "(",
        ")",
        "*",
        "?",
        "~",
        "^2",
        ":",
        "[",
        "]",
        "{",
        "}",
        "\\",
        "-",
        "+",
        "/",
        "title:",
        "\u{0}",
        "\u{200b}",
        "\u{fffd}",
        "🩸",
        "ＰＥＥＫ",
        "３Ｄ",
        "3.6.3",
        "水凝胶",
        "褥疮",
        "tissue",
        "的",
        "the",
        " ",
        "\n",
        "\t",
        "。",
        "，",
        "𠀀",
        "é",
    ];
    for case in 0..500 {
        let length = rng.random_range(0..40);
        let mut text = String::new();
        for _ in 0..length {
            if rng.random_bool(0.3) {
                text.push(char::from_u32(rng.random_range(0..0x3_0000)).unwrap_or('x'));
            } else {
                text.push_str(pieces[rng.random_range(0..pieces.len())]);
            }
        }
        if case % 50 == 0 {
            text = text.repeat(200);
        }
        let query = fixture.matcher.order_query(&text, &text);
        let result = fixture.matcher.search(&fixture.index, &query, 10);
        assert!(result.is_ok(), "query {text:?} failed: {result:?}");
    }
}
