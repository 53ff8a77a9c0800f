// Stand-in for the pages whose API is not built yet (feedback and risk, DESIGN.md §7).
import { h } from '../dom.js';

export async function render(root) {
  root.append(h('h1', {}, '尚未开放'), h('p', { class: 'muted' }, '该页面所需的接口尚未上线。'));
}
