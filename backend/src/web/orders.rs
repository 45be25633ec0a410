//! Writing an order in the browser: a guided form that asks what engineers need to know, keeps
//! what was typed when something is wrong, and shows each problem next to its field.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::account::csrf_refused;
use super::session::PageContext;
use super::{render, see_other};
use crate::api::orders::{CreateOrderRequest, create_order};
use crate::domain::order::{OrderCategory, RegulatoryClass};
use crate::domain::organization::OrgKind;
use crate::error::AppResult;
use crate::state::AppState;

/// The form as typed; every field is text so nothing typed is lost on the way back.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct OrderForm {
    #[serde(skip_serializing)]
    csrf_token: String,
    organization_id: String,
    title: String,
    problem: String,
    current_practice: String,
    success: String,
    constraints: String,
    category: String,
    department: String,
    regulatory_class: String,
    budget_min_cny: String,
    budget_max_cny: String,
    bid_deadline: String,
    expected_duration_months: String,
    confidential_details: String,
}

type Errors = BTreeMap<String, String>;

fn form_page(
    state: &AppState,
    ctx: &PageContext,
    status: StatusCode,
    form: &OrderForm,
    errors: &Errors,
) -> HttpResponse {
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let organizations: Vec<(String, String)> = ctx
        .user
        .iter()
        .flat_map(|u| u.organizations.iter())
        .filter(|(m, _)| OrgKind::may_post_orders(m.kind))
        .map(|(_, org)| (org.id.to_string(), org.name.clone()))
        .collect();
    let categories: Vec<(&str, String)> = OrderCategory::ALL
        .iter()
        .map(|c| (c.as_str(), t(&format!("category.{}", c.as_str()))))
        .collect();
    let classes: Vec<(&str, String)> = RegulatoryClass::ALL
        .iter()
        .map(|c| (c.as_str(), t(&format!("class.{}", c.as_str()))))
        .collect();
    render(
        state,
        ctx,
        status,
        "pages/order_form.html",
        &t("form.heading"),
        "/orders/new",
        json!({
            "form": form,
            "errors": errors,
            "organizations": organizations,
            "categories": categories,
            "classes": classes,
        }),
    )
}

pub async fn new_order_page(state: web::Data<AppState>, ctx: PageContext) -> HttpResponse {
    if ctx.user.is_none() {
        return see_other("/signin").finish();
    }
    let form = OrderForm {
        bid_deadline: (Utc::now() + Duration::days(30))
            .format("%Y-%m-%d")
            .to_string(),
        expected_duration_months: "12".to_owned(),
        ..OrderForm::default()
    };
    form_page(&state, &ctx, StatusCode::OK, &form, &Errors::new())
}

/// Where an error about a stored field is shown on the form.
fn form_field(field: &str) -> &str {
    match field {
        "clinical_description" => "problem",
        other => other,
    }
}

fn section(label: String, text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| format!("【{label}】\n{text}"))
}

/// Checks what the form alone can check and builds the API's request.
fn request(
    state: &AppState,
    ctx: &PageContext,
    form: &OrderForm,
) -> Result<CreateOrderRequest, Errors> {
    let t = |key: &str| state.templates.text(ctx.language, key, &[]);
    let mut errors = Errors::new();
    let mut number = |field: &str, text: &str| -> i64 {
        match text.trim().replace([',', '，'], "").parse::<i64>() {
            Ok(value) => value,
            Err(_) => {
                errors.insert(
                    field.to_owned(),
                    "请输入整数 (enter a whole number)".to_owned(),
                );
                0
            }
        }
    };
    let budget_min_cny = number("budget_min_cny", &form.budget_min_cny);
    let budget_max_cny = number("budget_max_cny", &form.budget_max_cny);
    let expected_duration_months =
        number("expected_duration_months", &form.expected_duration_months);
    let organization_id = Uuid::parse_str(&form.organization_id).unwrap_or_else(|_| {
        errors.insert(
            "organization_id".to_owned(),
            "请选择医院 (choose a hospital)".to_owned(),
        );
        Uuid::nil()
    });
    let category = OrderCategory::parse(&form.category).unwrap_or_else(|| {
        errors.insert(
            "category".to_owned(),
            "请选择类别 (choose a category)".to_owned(),
        );
        OrderCategory::Other
    });
    // The deadline is the end of the chosen day in Beijing time.
    let bid_deadline = NaiveDate::parse_from_str(form.bid_deadline.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(23, 59, 59))
        .and_then(|local| {
            chrono::FixedOffset::east_opt(8 * 3600)?
                .from_local_datetime(&local)
                .single()
        })
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| {
            errors.insert(
                "bid_deadline".to_owned(),
                "请选择日期 (choose a date)".to_owned(),
            );
            Utc::now()
        });
    let description: Vec<String> = [
        section(t("form.problem_label"), &form.problem),
        section(t("form.current_label"), &form.current_practice),
        section(t("form.success_label"), &form.success),
        section(t("form.constraints_label"), &form.constraints),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    Ok(CreateOrderRequest {
        organization_id,
        title: form.title.clone(),
        clinical_description: description.join("\n\n"),
        engineering_brief: None,
        category,
        department: optional(&form.department),
        city: None,
        budget_min_cny,
        budget_max_cny,
        bid_deadline,
        expected_duration_months,
        regulatory_class: RegulatoryClass::parse(&form.regulatory_class),
        ip_preference: None,
        revenue_split: None,
        confidential_details: optional(&form.confidential_details),
    })
}

pub async fn create(
    state: web::Data<AppState>,
    ctx: PageContext,
    form: web::Form<OrderForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    if !ctx.csrf_ok(&form.csrf_token) {
        return Ok(csrf_refused(&state, &ctx));
    }
    let Some(user) = ctx.user.as_ref() else {
        return Ok(see_other("/signin").finish());
    };
    let request = match request(&state, &ctx, &form) {
        Ok(request) => request,
        Err(errors) => {
            return Ok(form_page(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            ));
        }
    };
    match create_order(&state, user, request).await {
        Ok(created) => {
            let id = created.body["id"].as_str().unwrap_or_default().to_owned();
            Ok(see_other(&format!("/orders/{id}?saved=1")).finish())
        }
        Err(error) if !error.field_errors.is_empty() => {
            let errors: Errors = error
                .field_errors
                .iter()
                .map(|e| (form_field(&e.field).to_owned(), e.message.clone()))
                .collect();
            Ok(form_page(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            ))
        }
        Err(error) => Err(error),
    }
}
