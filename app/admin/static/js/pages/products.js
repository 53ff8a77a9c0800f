// Products (DESIGN.md §6 "Catalog"): price, stock and sale status; creating and editing.
import { api, can } from '../api.js';
import {
  errorBox, fenToYuanInput, field, h, parseInteger, parseYuan, switchInput, toast, when, yuan,
} from '../dom.js';
import { pagedTable } from '../list.js';

function onSaleSwitch(product, onChange) {
  if (!can.manage()) return h('span', { class: product.on_sale ? 'tag on' : 'tag' }, product.on_sale ? '在售' : '下架');
  return switchInput(product.on_sale, `在售 ${product.name}`, async (on) => onChange(
    await api('PATCH', `/admin/v1/products/${encodeURIComponent(product.id)}`, { body: { on_sale: on } })));
}

// The form of one product: a new one (with its SKU) when `product` is null.
function productForm(product, onSaved) {
  const inputs = {
    sku: product ? null : h('input', { name: 'sku', 'data-field': 'sku', maxlength: 64, required: true }),
    name: h('input', { name: 'name', 'data-field': 'name', maxlength: 128, value: product?.name ?? '', required: true }),
    category: h('input', { name: 'category', 'data-field': 'category', maxlength: 64, value: product?.category ?? '' }),
    price_fen: h('input', { name: 'price_fen', 'data-field': 'price_fen', inputmode: 'decimal',
      value: fenToYuanInput(product?.price_fen), placeholder: '元' }),
    stock: h('input', { name: 'stock', 'data-field': 'stock', inputmode: 'numeric', value: product?.stock ?? '' }),
    on_sale: h('input', { name: 'on_sale', type: 'checkbox', checked: product ? product.on_sale : true }),
  };
  const problems = h('div');
  const save = h('button', { type: 'submit' }, product ? '保存' : '创建商品');
  const form = h('form', { class: 'form inline-form', 'data-testid': 'product-form', novalidate: true },
    h('div', { class: 'row' }, inputs.sku ? field('SKU', inputs.sku) : null, field('名称', inputs.name),
      field('品类', inputs.category), field('价格（元）', inputs.price_fen), field('库存', inputs.stock),
      field('在售', inputs.on_sale)), problems, save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problems.replaceChildren();
    let body;
    try {
      body = { name: inputs.name.value.trim(), category: inputs.category.value.trim(),
        price_fen: parseYuan(inputs.price_fen.value), stock: parseInteger(inputs.stock.value, { min: 0, max: 1e9 }),
        on_sale: inputs.on_sale.checked };
      if (inputs.sku) body.sku = inputs.sku.value.trim();
    } catch (error) {
      problems.append(errorBox({ message: error.message }));
      return;
    }
    save.disabled = true;
    try {
      const saved = product
        ? await api('PATCH', `/admin/v1/products/${encodeURIComponent(product.id)}`, { body })
        : await api('POST', '/admin/v1/products', { body });
      toast(`「${saved.name}」已保存`);
      onSaved(saved);
    } catch (error) {
      problems.append(errorBox(error));
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function productRow(product) {
  const row = h('tr', { 'data-id': product.id },
    h('td', {}, product.sku), h('td', { class: 'name' }, product.name), h('td', {}, product.category),
    h('td', { class: 'num' }, yuan(product.price_fen)), h('td', { class: 'num' }, String(product.stock)),
    h('td', {}, onSaleSwitch(product, (updated) => row.replaceWith(productRow(updated)))),
    h('td', {}, when(product.updated_at)),
    h('td', {}, can.manage() ? h('button', { type: 'button', class: 'link', onclick: () => {
      const editor = h('tr', { class: 'editor' }, h('td', { colspan: 8 },
        productForm(product, (updated) => editor.replaceWith(productRow(updated)))));
      row.replaceWith(editor);
    } }, '编辑') : null));
  return row;
}

export async function render(root) {
  const holder = h('div');
  const show = async () => {
    const list = pagedTable({
      headers: ['SKU', '名称', '品类', '价格', '库存', '在售', '更新时间', ''],
      load: (cursor) => api('GET', '/admin/v1/products', { query: { cursor } }),
      row: productRow, empty: '暂无商品', testid: 'products',
    });
    holder.replaceChildren(list.view);
    await list.ready;
  };
  root.append(h('div', { class: 'page-head' }, h('h1', {}, '商品')));
  if (can.manage()) {
    const creator = h('details', { class: 'card' }, h('summary', {}, '新建商品'));
    creator.append(productForm(null, () => {
      creator.open = false;
      show();
    }));
    root.append(creator);
  }
  root.append(holder);
  await show();
}
