//! A lab's team profiles in the browser: the teams one speaks for, and a profile editor that
//! previews which concepts the matcher recognises in the text before it is saved.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::account::csrf_refused;
use super::session::PageContext;
use super::work::my_teams;
use super::{render, see_other};
use crate::api::teams::{UpdateTeamRequest, update_team};
use crate::domain::policy::{Action, TeamFacts};
use crate::domain::team::TeamLanguage;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::entities::team;
use crate::store::{string_list, teams};
use yigong_search_index::index::TeamDocument;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TeamForm {
    #[serde(skip_serializing)]
    csrf_token: String,
    #[serde(skip_serializing)]
    intent: String,
    name: String,
    summary: String,
    capabilities: String,
    keywords: String,
    equipment: String,
    disciplines: String,
    city: String,
    language: String,
    capacity: String,
    accepting_work: String,
}

fn list(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ';', '；', '\n'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

impl TeamForm {
    fn of(team: &team::Model) -> Self {
        Self {
            name: team.name.clone(),
            summary: team.summary.clone(),
            capabilities: team.capabilities.clone(),
            keywords: string_list(&team.keywords).join("，"),
            equipment: string_list(&team.equipment).join("，"),
            disciplines: string_list(&team.disciplines).join("，"),
            city: team.city.clone(),
            language: team.language.clone(),
            capacity: team.capacity.to_string(),
            accepting_work: if team.accepting_work { "yes" } else { "no" }.to_owned(),
            ..Self::default()
        }
    }

    fn document(&self) -> TeamDocument {
        TeamDocument {
            team_id: String::new(),
            version: 0,
            name: self.name.clone(),
            summary: self.summary.clone(),
            capabilities: self.capabilities.clone(),
            keywords: list(&self.keywords),
            equipment: list(&self.equipment),
            disciplines: list(&self.disciplines),
            institution: String::new(),
            city: self.city.clone(),
            language: self.language.clone(),
            concept_ids: Vec::new(),
            core_concept_ids: Vec::new(),
        }
    }
}

/// The concepts the matcher recognises in a profile, labelled in the reader's language; core
/// ones (named in the name, summary or keywords) first.
fn recognised(state: &AppState, ctx: &PageContext, form: &TeamForm) -> Vec<serde_json::Value> {
    let matcher = state.matching.matcher();
    let mut document = form.document();
    matcher.tag(&mut document);
    let language = ctx.language.reason_language();
    let label = |id: &str| {
        matcher
            .lexicon()
            .by_id(id)
            .map_or_else(|| id.to_owned(), |c| c.label(language).to_owned())
    };
    let core = document
        .core_concept_ids
        .iter()
        .map(|id| json!({"label": label(id), "core": true}));
    let rest = document
        .concept_ids
        .iter()
        .filter(|id| !document.core_concept_ids.contains(id))
        .map(|id| json!({"label": label(id), "core": false}));
    core.chain(rest).collect()
}

async fn editable(state: &AppState, ctx: &PageContext, id: Uuid) -> AppResult<Option<team::Model>> {
    let Some(user) = ctx.user.as_ref() else {
        return Ok(None);
    };
    let Some(team) = teams::find(&state.db, id).await? else {
        return Ok(None);
    };
    let members: Vec<Uuid> = teams::member_ids(&state.db, &[team.id])
        .await?
        .into_iter()
        .map(|(_, user)| user)
        .collect();
    let facts = TeamFacts {
        organization_id: team.organization_id,
        member_ids: &members,
    };
    let allowed =
        crate::domain::policy::authorize(Some(&user.actor), Action::UpdateTeam(facts)).is_ok();
    Ok(allowed.then_some(team))
}

fn edit_page(
    state: &AppState,
    ctx: &PageContext,
    status: StatusCode,
    id: Uuid,
    form: &TeamForm,
    errors: &BTreeMap<String, String>,
    notice: Option<String>,
) -> HttpResponse {
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let languages: Vec<(&str, String)> = TeamLanguage::ALL
        .iter()
        .map(|l| (l.as_str(), t(&format!("team.language.{}", l.as_str()))))
        .collect();
    render(
        state,
        ctx,
        status,
        "pages/team_edit.html",
        &t("team.heading"),
        &format!("/teams/{id}/edit"),
        json!({
            "team_id": id,
            "form": form,
            "errors": errors,
            "notice": notice,
            "languages": languages,
            "concepts": recognised(state, ctx, form),
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    done: Option<u8>,
}

pub async fn edit(
    state: web::Data<AppState>,
    ctx: PageContext,
    id: web::Path<Uuid>,
    query: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let Some(team) = editable(&state, &ctx, *id).await? else {
        return Ok(see_other("/teams/mine").finish());
    };
    let notice = query
        .done
        .map(|_| state.templates.text(ctx.language, "team.saved", &[]));
    Ok(edit_page(
        &state,
        &ctx,
        StatusCode::OK,
        team.id,
        &TeamForm::of(&team),
        &BTreeMap::new(),
        notice,
    ))
}

pub async fn save(
    state: web::Data<AppState>,
    ctx: PageContext,
    id: web::Path<Uuid>,
    form: web::Form<TeamForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    if !ctx.csrf_ok(&form.csrf_token) {
        return Ok(csrf_refused(&state, &ctx));
    }
    let (Some(user), Some(team)) = (ctx.user.as_ref(), editable(&state, &ctx, *id).await?) else {
        return Ok(see_other("/teams/mine").finish());
    };
    if form.intent == "preview" {
        return Ok(edit_page(
            &state,
            &ctx,
            StatusCode::OK,
            team.id,
            &form,
            &BTreeMap::new(),
            None,
        ));
    }
    let mut errors = BTreeMap::new();
    let capacity = form.capacity.trim().parse::<i64>().unwrap_or_else(|_| {
        errors.insert(
            "capacity".to_owned(),
            "请输入整数 (enter a whole number)".to_owned(),
        );
        0
    });
    if !errors.is_empty() {
        return Ok(edit_page(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            team.id,
            &form,
            &errors,
            None,
        ));
    }
    let request = UpdateTeamRequest {
        name: Some(form.name.clone()),
        summary: Some(form.summary.clone()),
        capabilities: Some(form.capabilities.clone()),
        keywords: Some(list(&form.keywords)),
        equipment: Some(list(&form.equipment)),
        disciplines: Some(list(&form.disciplines)),
        city: Some(form.city.clone()),
        language: TeamLanguage::parse(&form.language),
        capacity: Some(capacity),
        accepting_work: Some(form.accepting_work == "yes"),
    };
    match update_team(&state, user, team.id, request).await {
        Ok(_) => Ok(see_other(&format!("/teams/{}/edit?done=1", team.id)).finish()),
        Err(error) if !error.field_errors.is_empty() => {
            let errors = error
                .field_errors
                .iter()
                .map(|e| {
                    (
                        e.field
                            .split(['[', '.'])
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                        e.message.clone(),
                    )
                })
                .collect();
            Ok(edit_page(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                team.id,
                &form,
                &errors,
                None,
            ))
        }
        Err(error) => Err(error),
    }
}

/// The teams this person speaks for.
pub async fn mine(state: web::Data<AppState>, ctx: PageContext) -> AppResult<HttpResponse> {
    let Some(user) = ctx.user.as_ref() else {
        return Ok(see_other("/signin").finish());
    };
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let teams: Vec<serde_json::Value> = my_teams(&state, user)
        .await?
        .iter()
        .map(|team| json!({"id": team.id, "name": team.name, "summary": team.summary}))
        .collect();
    Ok(render(
        &state,
        &ctx,
        StatusCode::OK,
        "pages/teams_mine.html",
        &t("team.mine"),
        "/teams/mine",
        json!({"teams": teams}),
    ))
}
