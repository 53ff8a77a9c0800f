// Building pages from data. Every piece of text becomes a text node (never parsed as HTML), so a product
// name or feedback text that holds markup is shown as the characters it is (DESIGN.md §6.2).

export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  append(node, children); // first, so that a <select>'s value can pick one of its options
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      node.className = value;
    } else if (key === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (key === 'value' || (typeof value === 'boolean' && key in node)) {
      node[key] = value; // value, checked, disabled, hidden: properties, not markup
    } else if (typeof value === 'boolean') {
      node.setAttribute(key, ''); // novalidate and other attributes without a property of that name
    } else {
      node.setAttribute(key, String(value));
    }
  }
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Money is integer fen everywhere; yuan only on screen and in what an operator types.
export function yuan(fen) {
  if (fen === null || fen === undefined) return '—';
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100).toLocaleString('zh-CN')}.${String(abs % 100).padStart(2, '0')}`;
}

// "12.5" → 1250; "" → null; anything else with more than two decimals or not a number throws.
export function parseYuan(text) {
  const value = String(text ?? '').trim();
  if (value === '') return null;
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(value);
  if (!match) throw new Error('请输入金额（元），最多两位小数');
  return Number(match[1]) * 100 + Number((match[2] || '').padEnd(2, '0'));
}

export function fenToYuanInput(fen) {
  return fen === null || fen === undefined ? '' : `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

export function parseInteger(text, { min, max } = {}) {
  const value = String(text ?? '').trim();
  if (value === '') return null;
  if (!/^-?\d+$/.test(value)) throw new Error('请输入整数');
  const number = Number(value);
  if ((min !== undefined && number < min) || (max !== undefined && number > max)) {
    throw new Error(`请输入 ${min} 到 ${max} 之间的整数`);
  }
  return number;
}

// Operators read and type Beijing time; the API speaks UTC (DESIGN.md §2).
export const TIME_ZONE = 'Asia/Shanghai';
const dateTimeFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});
const partsFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  hourCycle: 'h23',
});

export function when(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : '—';
}

function beijingParts(date) {
  return Object.fromEntries(partsFormat.formatToParts(date).map((part) => [part.type, part.value]));
}

// The Beijing calendar day of `date` as YYYY-MM-DD (the days of the statistics, DESIGN.md §6.1).
export function beijingDay(date = new Date()) {
  const p = beijingParts(date);
  return `${p.year}-${p.month}-${p.day}`;
}

export function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

// <input type="datetime-local"> holds Beijing time: to and from the API's UTC instants.
export function toLocalInput(iso) {
  if (!iso) return '';
  const p = beijingParts(new Date(iso));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

export function fromLocalInput(value) {
  return value ? new Date(`${value}:00+08:00`).toISOString() : null;
}

export function percent(ratio) {
  return ratio === null || ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)}%`;
}

export function splitList(text) {
  return String(text || '').split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean);
}

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const item = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

// An API error as the operator should read it: the server's Chinese message and remedy, and its request id.
export function errorBox(error) {
  const fields = (error.fields || []).map((f) => h('li', {}, `${f.field}：${f.reason}`));
  return h('div', { class: 'error-box', role: 'alert' },
    h('strong', {}, error.message || '出错了'),
    error.remedy ? h('span', {}, ` ${error.remedy}`) : null,
    fields.length ? h('ul', {}, fields) : null,
    h('small', { class: 'muted' }, [error.code, error.requestId].filter(Boolean).join(' · ')));
}

// An on/off switch that saves at once: `save(checked)`; on failure it flips back and says why.
export function switchInput(checked, ariaLabel, save) {
  const input = h('input', { type: 'checkbox', role: 'switch', class: 'switch', checked, 'aria-label': ariaLabel });
  input.addEventListener('change', async () => {
    input.disabled = true;
    try {
      await save(input.checked);
    } catch (error) {
      input.checked = !input.checked;
      toast(`${error.message} ${error.remedy || ''}`, 'error');
    } finally {
      input.disabled = false;
    }
  });
  return input;
}

export function table(headers, rows, { empty = '暂无数据', testid } = {}) {
  const body = h('tbody', {}, rows);
  if (!rows.length) body.append(h('tr', { class: 'empty' }, h('td', { colspan: headers.length }, empty)));
  return h('table', { class: 'grid', 'data-testid': testid },
    h('thead', {}, h('tr', {}, headers.map((title) => h('th', {}, title)))), body);
}

export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), input,
    hint ? h('small', { class: 'muted' }, hint) : null);
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}
