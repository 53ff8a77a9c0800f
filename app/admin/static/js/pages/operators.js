// Operator accounts (admin only, DESIGN.md §6).
import { ROLE_NAMES, api } from '../api.js';
import { errorBox, field, h, section, table, when } from '../dom.js';

export async function render(root) {
  const list = h('div');
  const show = async () => {
    const page = await api('GET', '/admin/v1/operators');
    list.replaceChildren(table(['用户名', '角色', '创建时间', 'ID'], page.items.map((o) => h('tr', {},
      h('td', {}, o.username), h('td', {}, ROLE_NAMES[o.role] || o.role), h('td', {}, when(o.created_at)),
      h('td', {}, o.id))), { testid: 'operators' }));
  };
  const username = h('input', { name: 'username', required: true, maxlength: 64, autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: 8,
    autocomplete: 'new-password' });
  const role = h('select', { name: 'role', value: 'operator' },
    Object.entries(ROLE_NAMES).map(([value, title]) => h('option', { value }, title)));
  const problems = h('div');
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'row' }, field('用户名', username), field('初始密码', password, '至少 8 位'), field('角色', role)),
    problems, h('button', { type: 'submit' }, '创建操作员'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problems.replaceChildren();
    try {
      await api('POST', '/admin/v1/operators',
        { body: { username: username.value.trim(), password: password.value, role: role.value } });
      username.value = '';
      password.value = '';
      await show();
    } catch (error) {
      problems.append(errorBox(error));
    }
  });
  root.append(h('h1', {}, '操作员'), section('新建操作员', form), section('全部操作员', list));
  await show();
}
