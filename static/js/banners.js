// The banners studio: sends the form to POST /api/banners/preview as the visitor types (debounced,
// and only the newest response is shown), puts each error next to its field, and downloads exports
// from POST /api/banners/export as PNG or SVG.

const PREVIEW_DELAY_MS = 300;
const FIELDS = [
  'name', 'email', 'tagline', 'layout', 'size', 'width', 'height',
  'background_color', 'text_color', 'accent_color', 'order_token',
];

const form = document.getElementById('banner-form');
const preview = document.getElementById('preview');
const previewFrame = preview.parentElement;
const placeholder = document.getElementById('preview-placeholder');
const previewStatus = document.getElementById('preview-status');
const exportStatus = document.getElementById('export-status');
const formError = document.getElementById('form-error');
const customSize = document.getElementById('custom-size');
const sizeSelect = document.getElementById('size');

let previewTimer = null;
// Each preview request gets the next number; a response is shown only if no later request was sent.
let latestPreview = 0;
let previewAbort = null;
let previewUrl = null;

/**
 * Returns the order token from the field: the token itself, or the last path segment of an order
 * page link such as https://example.com/orders/TOKEN.
 */
function orderToken(text) {
  const trimmed = text.trim();
  const match = trimmed.match(/\/orders\/([^/?#\s]+)/);
  return match ? match[1] : trimmed;
}

/**
 * Returns a size field's value for the request: null when empty, a number when it parses, else the
 * text itself, so that the server's error names the field.
 */
function dimension(text) {
  if (text.trim() === '') {
    return null;
  }
  const number = Number(text);
  return Number.isFinite(number) ? number : text;
}

/** Builds the request body from the form. */
function requestBody(format) {
  const value = (id) => document.getElementById(id).value;
  const body = {
    name: value('name'),
    email: value('email'),
    tagline: value('tagline'),
    layout: value('layout'),
    size: value('size'),
    background_color: value('background_color'),
    text_color: value('text_color'),
    accent_color: value('accent_color'),
  };
  if (body.size === 'custom') {
    body.width = dimension(value('width'));
    body.height = dimension(value('height'));
  }
  const token = orderToken(value('order_token'));
  if (token) {
    body.order_token = token;
  }
  if (format) {
    body.format = format;
  }
  return JSON.stringify(body);
}

function clearErrors() {
  for (const field of FIELDS) {
    document.getElementById(`${field}-error`).textContent = '';
    document.getElementById(field).removeAttribute('aria-invalid');
  }
  formError.textContent = '';
}

/** Shows an error response next to its field, or below the preview when it names none. */
async function showError(response) {
  let message = `The server returned status ${response.status}.`;
  let field = null;
  try {
    const body = await response.json();
    message = body.error ?? message;
    field = body.field ?? null;
  } catch {
    // Not JSON: keep the status message.
  }
  if (response.status === 429) {
    const seconds = response.headers.get('retry-after') ?? 'a few';
    message = `Too many requests from your address. Wait ${seconds} seconds; the preview updates on your next change.`;
  }
  if (field && FIELDS.includes(field)) {
    const input = document.getElementById(field);
    document.getElementById(`${field}-error`).textContent = message;
    input.setAttribute('aria-invalid', 'true');
  } else {
    formError.textContent = message;
  }
}

/** True when the two required fields have something in them, so a preview is worth asking for. */
function readyForPreview() {
  return document.getElementById('name').value.trim() !== '' && document.getElementById('email').value.trim() !== '';
}

async function refreshPreview() {
  if (!readyForPreview()) {
    previewStatus.textContent = '';
    return;
  }

  // Cancel the request still running, if any: only the newest one is shown.
  const sequence = ++latestPreview;
  previewAbort?.abort();
  previewAbort = new AbortController();
  previewFrame.classList.add('stale');
  previewStatus.textContent = 'Updating the preview…';
  let response;
  try {
    response = await fetch('/api/banners/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: requestBody(null),
      signal: previewAbort.signal,
    });
  } catch (error) {
    if (sequence === latestPreview && error.name !== 'AbortError') {
      previewStatus.textContent = 'The preview could not be loaded. Check your connection.';
    }
    return;
  }

  // A later request was sent while this one ran: drop this response.
  if (sequence !== latestPreview) {
    return;
  }
  clearErrors();
  if (!response.ok) {
    previewStatus.textContent = 'The preview shows your last valid banner.';
    await showError(response);
    return;
  }
  const blob = await response.blob();
  if (sequence !== latestPreview) {
    return;
  }

  // Show the new image and free the previous one.
  if (previewUrl) {
    URL.revokeObjectURL(previewUrl);
  }
  previewUrl = URL.createObjectURL(blob);
  preview.src = previewUrl;
  preview.alt = `Banner preview for ${document.getElementById('name').value.trim()}`;
  preview.hidden = false;
  placeholder.hidden = true;
  previewFrame.classList.remove('stale');
  previewStatus.textContent = 'Preview up to date.';
}

function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(refreshPreview, PREVIEW_DELAY_MS);
}

/** Returns the file name from a Content-Disposition header, or a fallback. */
function fileName(disposition, format) {
  const match = disposition?.match(/filename="([^"]+)"/);
  return match ? match[1] : `banner.${format}`;
}

async function exportBanner(format, button) {
  button.disabled = true;
  exportStatus.textContent = `Preparing the ${format.toUpperCase()} file…`;
  try {
    const response = await fetch('/api/banners/export', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: requestBody(format),
    });
    clearErrors();
    if (!response.ok) {
      exportStatus.textContent = '';
      await showError(response);
      return;
    }
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName(response.headers.get('content-disposition'), format);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    exportStatus.textContent = `Downloaded ${link.download}.`;
  } catch {
    exportStatus.textContent = 'The download failed. Check your connection and try again.';
  } finally {
    button.disabled = false;
  }
}

function updateCustomSize() {
  customSize.hidden = sizeSelect.value !== 'custom';
}

form.addEventListener('input', schedulePreview);
form.addEventListener('change', () => {
  updateCustomSize();
  schedulePreview();
});
form.addEventListener('submit', (event) => event.preventDefault());
document.getElementById('export-png').addEventListener('click', (event) => exportBanner('png', event.currentTarget));
document.getElementById('export-svg').addEventListener('click', (event) => exportBanner('svg', event.currentTarget));
updateCustomSize();
schedulePreview();
