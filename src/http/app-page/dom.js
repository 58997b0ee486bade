// Small DOM helpers of the /app page. Every value is added as text, never parsed as HTML.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Alert details are short Markdown: shown as plain text, emphasis and escapes removed. */
export function plainText(markdown) {
  return markdown.replace(/\*\*|__|`/g, '').replace(/\\([\\`*_{}[\]()#+\-.!])/g, '$1');
}

export function day(iso) {
  return iso ? iso.slice(0, 10) : '';
}

export function showMessage(text) {
  const box = $('message');
  box.textContent = text;
  box.hidden = !text;
}

/** A list's placeholder when it has nothing to show: says so, and what would fill it. */
export function emptyItem(text) {
  return el('li', { class: 'empty' }, text);
}
