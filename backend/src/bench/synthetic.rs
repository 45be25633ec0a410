//! Realistic synthetic data for benchmarks: bilingual team profiles of 1–2 KB built from the
//! lexicon's engineering concepts, and clinical needs built from its clinical concepts, so the
//! analyzer, tagging and expansion do the same work as on real data. Seeded: the same seed gives
//! the same data.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use yigong_search_index::index::TeamDocument;
use yigong_search_index::lexicon::{Concept, ConceptKind, Lexicon};

const CITIES: &[&str] = &[
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "武汉",
    "成都",
    "西安",
    "天津",
    "重庆",
    "长沙",
    "合肥",
    "济南",
    "苏州",
    "哈尔滨",
    "沈阳",
    "厦门",
    "昆明",
    "郑州",
];
const ZH_INSTITUTIONS: &[&str] = &[
    "理工大学",
    "医科大学",
    "工业大学",
    "科技大学",
    "研究院",
    "交通大学",
    "师范大学",
    "医疗器械有限公司",
];
const EN_INSTITUTIONS: &[&str] = &[
    "Institute of Technology",
    "University of Science and Technology",
    "Medical Device Co., Ltd.",
    "Research Institute",
    "Polytechnic University",
];
const ZH_SENTENCES: &[&str] = &[
    "团队长期从事{a}与{b}的研究，具备从原理样机到动物实验的完整能力。",
    "围绕{a}开展关键技术攻关，已形成{b}相关的多项发明专利。",
    "拥有{a}平台，可承担{b}方向的定制开发与验证测试。",
    "与多家三甲医院合作完成{a}的临床前评价，熟悉{b}的注册检验流程。",
    "在{a}方面积累了丰富经验，近五年承担国家级项目多项，并与企业合作推进{b}的产业化。",
    "可提供{a}的设计、仿真、加工与测试服务，并支持{b}的工程化迭代。",
];
const EN_SENTENCES: &[&str] = &[
    "The group works on {a} and {b}, from first principles to animal studies.",
    "We develop {a} and have filed several patents on {b}.",
    "Our {a} facility supports custom development and verification of {b}.",
    "We completed preclinical evaluation of {a} with partner hospitals and know the regulatory testing of {b}.",
    "Long experience in {a}; industry collaborations bring {b} towards manufacturing.",
    "Design, simulation, fabrication and testing services for {a}, with engineering iterations on {b}.",
];
const ZH_NEED: &[&str] = &[
    "临床上{a}十分常见，目前主要依靠人工处理，效率低且容易遗漏。",
    "{a}严重影响患者预后，现有方法费时费力，基层医院难以开展。",
    "希望获得一种能够改善{a}的方案，要求安全、易用、成本可控。",
    "{a}的发生率较高，护士工作负担重，缺少客观量化的手段。",
];
const EN_NEED: &[&str] = &[
    "{a} is common on our wards and current practice relies on manual work that is slow and error-prone.",
    "{a} worsens outcomes; existing approaches are costly and hard to use outside large hospitals.",
    "We need a safe, easy-to-use and affordable way to deal with {a}.",
    "Nurses spend much time on {a} and lack an objective, quantitative tool.",
];
const EQUIPMENT: &[&str] = &[
    "扫描电子显微镜",
    "万能材料试验机",
    "3D打印机",
    "流变仪",
    "示波器",
    "超声成像平台",
    "细胞培养间",
    "GPU计算集群",
    "动物实验平台",
    "洁净车间",
    "motion capture system",
    "potentiostat",
    "confocal microscope",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    items.choose(rng).unwrap_or(&items[0])
}

fn form<'a>(rng: &mut StdRng, concept: &'a Concept, english: bool) -> &'a str {
    let forms = if english { &concept.en } else { &concept.zh };
    forms
        .choose(rng)
        .map_or(concept.id.as_str(), String::as_str)
}

/// Generates teams and orders from the lexicon.
pub struct Generator<'a> {
    rng: StdRng,
    engineering: Vec<&'a Concept>,
    clinical: Vec<&'a Concept>,
}

impl<'a> Generator<'a> {
    pub fn new(lexicon: &'a Lexicon, seed: u64) -> Self {
        let of_kind = |kind| {
            lexicon
                .concepts()
                .iter()
                .filter(|c| c.kind == kind)
                .collect::<Vec<_>>()
        };
        Self {
            rng: StdRng::seed_from_u64(seed),
            engineering: of_kind(ConceptKind::Engineering),
            clinical: of_kind(ConceptKind::Clinical),
        }
    }

    /// Team number `n`: 1–2 KB of profile text, Chinese or English.
    pub fn team(&mut self, n: usize) -> TeamDocument {
        let rng = &mut self.rng;
        let english = rng.random_bool(0.3);
        let focus: Vec<&Concept> = (0..rng.random_range(3..7))
            .map(|_| *pick(rng, &self.engineering))
            .collect();
        let main = form(rng, focus[0], english).to_owned();
        let city = (*pick(rng, CITIES)).to_owned();
        let (name, institution) = if english {
            (
                format!("{main} Lab {n}"),
                format!("{city} {}", pick(rng, EN_INSTITUTIONS)),
            )
        } else {
            (
                format!("{main}课题组{n}"),
                format!("{city}{}", pick(rng, ZH_INSTITUTIONS)),
            )
        };
        let sentences = if english { EN_SENTENCES } else { ZH_SENTENCES };
        let mut capabilities = String::new();
        let target = rng.random_range(900..1700);
        while capabilities.len() < target {
            let (first, second) = (*pick(rng, &focus), *pick(rng, &focus));
            let a = form(rng, first, english);
            let b = form(rng, second, english);
            capabilities.push_str(&pick(rng, sentences).replace("{a}", a).replace("{b}", b));
            capabilities.push(if english { ' ' } else { '\n' });
        }
        let keywords = focus
            .iter()
            .map(|c| form(rng, c, english).to_owned())
            .collect();
        let equipment = (0..3).map(|_| (*pick(rng, EQUIPMENT)).to_owned()).collect();
        TeamDocument {
            team_id: format!("T{n:06}"),
            version: 1,
            summary: format!("{main} · {}", form(rng, focus[1], english)),
            name,
            capabilities,
            keywords,
            equipment,
            disciplines: Vec::new(),
            institution,
            city,
            language: if english { "en" } else { "zh" }.to_owned(),
            concept_ids: Vec::new(),
            core_concept_ids: Vec::new(),
        }
    }

    /// A clinical need: (title, description).
    pub fn order(&mut self) -> (String, String) {
        let rng = &mut self.rng;
        let english = rng.random_bool(0.3);
        let problem = *pick(rng, &self.clinical);
        let other = *pick(rng, &self.clinical);
        let title = if english {
            format!("Better handling of {}", form(rng, problem, true))
        } else {
            format!("{}的改进需求", form(rng, problem, false))
        };
        let needs = if english { EN_NEED } else { ZH_NEED };
        let mut description = String::new();
        for concept in [problem, problem, other] {
            let phrase = form(rng, concept, english);
            description.push_str(&pick(rng, needs).replace("{a}", phrase));
        }
        (title, description)
    }
}
