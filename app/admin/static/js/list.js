// A table that pages through an `{items, next_cursor}` list with a "加载更多" button.
import { errorBox, h } from './dom.js';

export function pagedTable({ headers, load, row, empty = '暂无数据', testid }) {
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, '加载更多');
  const problem = h('div');
  const view = h('div', { class: 'paged' },
    h('table', { class: 'grid', 'data-testid': testid },
      h('thead', {}, h('tr', {}, headers.map((title) => h('th', {}, title)))), body),
    problem, more);
  let cursor = null;

  async function next() {
    more.disabled = true;
    problem.replaceChildren();
    try {
      const page = await load(cursor);
      body.querySelector('tr.empty')?.remove();
      for (const item of page.items) body.append(row(item));
      if (!body.children.length) {
        body.append(h('tr', { class: 'empty' }, h('td', { colspan: headers.length }, empty)));
      }
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      problem.append(errorBox(error));
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener('click', next);
  return { view, ready: next() };
}
