// Creating and editing a promotion, conditions included (DESIGN.md §6 "Promotions").
import { api, can } from '../api.js';
import {
  errorBox, fenToYuanInput, field, fromLocalInput, h, parseInteger, parseYuan, section, splitList, toLocalInput,
  toast,
} from '../dom.js';
import { PAYMENT_METHOD, PROMOTION_KIND } from '../labels.js';

// Which amount inputs each kind uses (the others are hidden and sent as null).
const KIND_FIELDS = { amount_off: ['amount_off_fen'], percent_off: ['percent_off'],
  threshold: ['threshold_fen', 'amount_off_fen'] };
const AMOUNTS = ['amount_off_fen', 'percent_off', 'threshold_fen'];

function input(name, attrs = {}) {
  return h('input', { name, 'data-field': name, ...attrs });
}

function buildInputs(p) {
  const c = p?.conditions || {};
  return {
    name: input('name', { value: p?.name ?? '', maxlength: 64, required: true }),
    kind: h('select', { name: 'kind', 'data-field': 'kind', value: p?.kind ?? 'amount_off' },
      Object.entries(PROMOTION_KIND).map(([value, title]) => h('option', { value }, title))),
    amount_off_fen: input('amount_off_fen', { value: fenToYuanInput(p?.amount_off_fen), inputmode: 'decimal', placeholder: '元' }),
    percent_off: input('percent_off', { value: p?.percent_off ?? '', inputmode: 'numeric', placeholder: '1–99' }),
    threshold_fen: input('threshold_fen', { value: fenToYuanInput(p?.threshold_fen), inputmode: 'decimal', placeholder: '元' }),
    starts_at: input('starts_at', { type: 'datetime-local', value: toLocalInput(p?.starts_at) }),
    ends_at: input('ends_at', { type: 'datetime-local', value: toLocalInput(p?.ends_at) }),
    priority: input('priority', { value: p?.priority ?? 0, inputmode: 'numeric' }),
    stackable: input('stackable', { type: 'checkbox', checked: Boolean(p?.stackable) }),
    enabled: input('enabled', { type: 'checkbox', checked: p ? p.enabled : true }),
    per_user_limit: input('per_user_limit', { value: p?.per_user_limit ?? '', inputmode: 'numeric', placeholder: '不限' }),
    budget_fen: input('budget_fen', { value: fenToYuanInput(p?.budget_fen), inputmode: 'decimal', placeholder: '不限' }),
    payment_method: Object.keys(PAYMENT_METHOD).map((method) => h('input', { type: 'checkbox', name: 'payment_method',
      value: method, checked: (c.payment_method || []).includes(method) })),
    categories: input('conditions.categories', { value: (c.categories || []).join('，'), placeholder: '不限；多个用逗号分隔' }),
    cities: input('conditions.cities', { value: (c.cities || []).join('，'), placeholder: '不限；如 广州市，深圳市' }),
    new_user_only: input('conditions.new_user_only', { type: 'checkbox', checked: Boolean(c.new_user_only) }),
    hours_from: input('conditions.hours.from', { value: c.hours?.from ?? '', placeholder: 'HH:MM', size: 5 }),
    hours_to: input('conditions.hours.to', { value: c.hours?.to ?? '', placeholder: 'HH:MM', size: 5 }),
  };
}

// The body for POST or PATCH; problems found here are reported like the server's, field by field.
function readBody(i) {
  const problems = [];
  const read = (name, parse) => {
    try {
      return parse();
    } catch (error) {
      problems.push({ field: name, reason: error.message });
      return null;
    }
  };
  const used = KIND_FIELDS[i.kind.value];
  const body = {
    name: i.name.value.trim(),
    kind: i.kind.value,
    amount_off_fen: used.includes('amount_off_fen') ? read('amount_off_fen', () => parseYuan(i.amount_off_fen.value)) : null,
    percent_off: used.includes('percent_off') ? read('percent_off', () => parseInteger(i.percent_off.value, { min: 1, max: 99 })) : null,
    threshold_fen: used.includes('threshold_fen') ? read('threshold_fen', () => parseYuan(i.threshold_fen.value)) : null,
    starts_at: fromLocalInput(i.starts_at.value),
    ends_at: fromLocalInput(i.ends_at.value),
    priority: read('priority', () => parseInteger(i.priority.value, { min: -1000, max: 1000 }) ?? 0),
    stackable: i.stackable.checked,
    enabled: i.enabled.checked,
    per_user_limit: read('per_user_limit', () => parseInteger(i.per_user_limit.value, { min: 1, max: 1000000 })),
    budget_fen: read('budget_fen', () => parseYuan(i.budget_fen.value)),
    conditions: {
      payment_method: i.payment_method.filter((box) => box.checked).map((box) => box.value),
      categories: splitList(i.categories.value),
      cities: splitList(i.cities.value),
      new_user_only: i.new_user_only.checked,
      hours: i.hours_from.value.trim() || i.hours_to.value.trim()
        ? { from: i.hours_from.value.trim(), to: i.hours_to.value.trim() } : null,
    },
  };
  return { body, problems };
}

function showProblems(form, box, error) {
  for (const marked of form.querySelectorAll('.invalid')) marked.classList.remove('invalid');
  box.replaceChildren();
  if (!error) return;
  box.append(errorBox(error));
  for (const { field: name } of error.fields || []) {
    form.querySelector(`[data-field="${CSS.escape(name)}"]`)?.classList.add('invalid');
  }
}

export function renderForm(root, promotion) {
  const editable = can.manage();
  const i = buildInputs(promotion);
  const amountFields = {
    amount_off_fen: field('减免金额（元）', i.amount_off_fen),
    percent_off: field('折扣力度（%）', i.percent_off, '如 20 表示减 20%，即八折'),
    threshold_fen: field('门槛金额（元）', i.threshold_fen, '满这个金额才减'),
  };
  const showKindFields = () => {
    for (const name of AMOUNTS) amountFields[name].hidden = !KIND_FIELDS[i.kind.value].includes(name);
  };
  i.kind.addEventListener('change', showKindFields);
  showKindFields();

  const problems = h('div');
  const save = h('button', { type: 'submit' }, promotion ? '保存修改' : '创建活动');
  const form = h('form', { class: 'form', 'data-testid': 'promotion-form', novalidate: true },
    section('基本信息', field('名称', i.name), field('类型', i.kind), amountFields.threshold_fen,
      amountFields.amount_off_fen, amountFields.percent_off,
      h('div', { class: 'row' }, field('优先级', i.priority, '数字大的先用'), field('可与其他活动叠加', i.stackable),
        field('启用', i.enabled))),
    section('有效期与限额（北京时间）', h('div', { class: 'row' }, field('开始', i.starts_at, '留空为立即'),
      field('结束', i.ends_at, '留空为长期')),
    h('div', { class: 'row' }, field('每人限用次数', i.per_user_limit), field('总预算（元）', i.budget_fen))),
    section('适用条件', h('div', { class: 'field', 'data-field': 'conditions.payment_method' },
      h('span', { class: 'label' }, '支付方式（不选为不限）'),
      i.payment_method.map((box) => h('label', { class: 'inline' }, box, PAYMENT_METHOD[box.value]))),
    field('品类', i.categories), field('城市', i.cities), field('仅限新用户（从未支付过）', i.new_user_only),
    h('div', { class: 'field' }, h('span', { class: 'label' }, '每日时段（北京时间，可跨零点，如 22:00–02:00）'),
      h('span', {}, i.hours_from, ' 至 ', i.hours_to))),
    problems, editable ? save : null);
  if (!editable) for (const control of form.querySelectorAll('input, select')) control.disabled = true;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { body, problems: found } = readBody(i);
    if (found.length) {
      showProblems(form, problems, { message: '请修改标出的项目', fields: found });
      return;
    }
    save.disabled = true;
    try {
      const saved = promotion
        ? await api('PATCH', `/admin/v1/promotions/${encodeURIComponent(promotion.id)}`, { body })
        : await api('POST', '/admin/v1/promotions', { body });
      toast(`「${saved.name}」已保存`);
      window.location.hash = '#/promotions';
    } catch (error) {
      showProblems(form, problems, error);
    } finally {
      save.disabled = false;
    }
  });

  const title = promotion ? (editable ? '编辑促销活动' : '促销活动详情') : '新建促销活动';
  root.append(h('div', { class: 'page-head' }, h('h1', {}, title), h('a', { href: '#/promotions' }, '返回列表')), form);
}
