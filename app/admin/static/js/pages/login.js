// Operators' login (POST /admin/v1/auth/login, DESIGN.md §6).
import { api, session } from '../api.js';
import { errorBox, field, h } from '../dom.js';

export async function render(root, { onLoggedIn }) {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, '登录');
  const problem = h('div');
  const form = h('form', { class: 'login card', 'data-testid': 'login-form' },
    h('h1', {}, '运营后台登录'), field('用户名', username), field('密码', password), problem, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    problem.replaceChildren();
    try {
      const answer = await api('POST', '/admin/v1/auth/login',
        { body: { username: username.value.trim(), password: password.value } });
      session.save(answer.access_token, answer.expires_in, username.value.trim());
      onLoggedIn();
    } catch (error) {
      problem.append(errorBox(error));
      password.value = '';
    } finally {
      submit.disabled = false;
    }
  });
  root.append(form);
  username.focus();
}
