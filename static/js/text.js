// Text Studio: typing with a debounced live preview of the pen strokes, characters the font cannot
// draw listed next to the field, option checks, then the order and the move to the order page.
// The text leaves the browser for previews (nothing is stored for them) and for the order.

import {
  checkDuration, contrastRatio, focusFirstError, importSvg, parseJson, toSentence,
} from './studio-common.js';

const MAX_TEXT_CHARS = 200;
const MAX_LINES = 12;
const PREVIEW_DELAY_MS = 300;
const REDIRECT_DELAY_MS = 600;
const PREVIEW_LABEL = 'The pen strokes of your text, which the animation will draw';

// Order parameter (the API's `field`) → the id of the element that shows its error.
const FIELD_ERROR_IDS = {
  text: 'text-error',
  style: 'style-error',
  background: 'background-error',
  sketch: 'sketch-error',
  size: 'size-error',
  duration: 'duration-error',
  plan: 'plan-error',
  age_confirmed: 'age-error',
};

// Error element id → the control that gets aria-invalid while that error is shown.
const ERROR_CONTROLS = {
  'text-error': 'text',
  'style-error': 'style',
  'background-error': 'background',
  'sketch-error': 'sketch',
  'size-error': 'size',
  'duration-error': 'duration',
  'age-error': 'age',
};

const AGE_MESSAGE = 'Confirm that you are 13 years old or older.';
const BUSY_MESSAGE = 'The service is busy; try again in a minute.';

const form = document.getElementById('text-form');
const textInput = document.getElementById('text');
const textCount = document.getElementById('text-count');
const previewBox = document.getElementById('text-preview');
const previewStatus = document.getElementById('text-preview-status');
const backgroundInput = document.getElementById('background');
const sketchInput = document.getElementById('sketch');
const sizeInput = document.getElementById('size');
const durationInput = document.getElementById('duration');
const ageInput = document.getElementById('age');
const submitButton = document.getElementById('submit');
const submitStatus = document.getElementById('submit-status');

let previewTimer = 0;
let previewController = null;
let ordering = false;

// ----- errors next to fields -----

function showError(errorId, message) {
  document.getElementById(errorId).textContent = message;
  const controlId = ERROR_CONTROLS[errorId];
  if (controlId) {
    document.getElementById(controlId).setAttribute('aria-invalid', 'true');
  }
}

function clearError(errorId) {
  document.getElementById(errorId).textContent = '';
  const controlId = ERROR_CONTROLS[errorId];
  if (controlId) {
    document.getElementById(controlId).removeAttribute('aria-invalid');
  }
}

function clearAllErrors() {
  for (const element of form.querySelectorAll('.field-error, .form-error')) {
    clearError(element.id);
  }
}

/** Names a character for the list of unsupported ones: the character and its code point. */
function describeChar(char) {
  const code = `U+${char.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char) ? `${char} ${code}` : code;
}

/** Lists the characters the font cannot draw under the text field. */
function showUnsupported(chars) {
  const box = document.getElementById('text-error');
  const intro = document.createElement('p');
  intro.textContent = chars.length === 1
    ? 'This character cannot be drawn; remove or replace it:'
    : `These ${chars.length} characters cannot be drawn; remove or replace them:`;
  const list = document.createElement('ul');
  list.className = 'unsupported-list';
  list.setAttribute('aria-label', 'Characters that cannot be drawn');
  for (const char of chars) {
    const item = document.createElement('li');
    item.textContent = describeChar(char);
    list.append(item);
  }
  box.replaceChildren(intro, list);
  textInput.setAttribute('aria-invalid', 'true');
}

/** Shows an error response of the preview or order endpoint next to the field it concerns. */
function showServerError(status, body) {
  const message = toSentence(body && body.error);
  const field = body && body.field;
  if (status === 422 && body && Array.isArray(body.unsupported)) {
    showUnsupported(body.unsupported);
    return;
  }
  if (field === 'age_confirmed') {
    showError('age-error', AGE_MESSAGE);
    return;
  }
  if ((status === 400 || status === 413) && field && FIELD_ERROR_IDS[field]) {
    showError(FIELD_ERROR_IDS[field], message);
    return;
  }
  if (status === 503) {
    showError('form-error', BUSY_MESSAGE);
    return;
  }
  showError(
    'form-error',
    `The request failed on the server (HTTP ${status}${message ? `: ${message}` : ''}). Try again later.`,
  );
}

// ----- the text and its live preview -----

/** Counts characters as the server does, after joining letters and their combining accents. */
function characterCount(text) {
  return [...text.normalize('NFC')].length;
}

function updateCount() {
  const count = characterCount(textInput.value);
  textCount.textContent = `${count} of ${MAX_TEXT_CHARS} characters`;
  textCount.classList.toggle('warning', count > MAX_TEXT_CHARS);
}

/** Checks the text the way the server does. Returns an error message, or '' when it may be sent. */
function checkText(text) {
  if (text.trim() === '') {
    return 'Type the text to write: 1 to 200 characters.';
  }
  const count = characterCount(text);
  if (count > MAX_TEXT_CHARS) {
    return `The text has ${count} characters; the limit is ${MAX_TEXT_CHARS}.`;
  }
  const lines = text.split('\n').length;
  if (lines > MAX_LINES) {
    return `The text has ${lines} lines; the limit is ${MAX_LINES}.`;
  }
  return '';
}

function previewUrl() {
  const params = new URLSearchParams({
    size: sizeInput.value,
    background: backgroundInput.value,
    sketch: sketchInput.value,
  });
  return `/api/text-animations/preview?${params}`;
}

function showPreviewNote(message) {
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = message;
  previewBox.replaceChildren(note);
}

async function refreshPreview() {
  if (previewController) {
    previewController.abort();
  }
  const text = textInput.value;
  clearError('text-error');
  const problem = checkText(text);
  if (problem) {
    if (text.trim() !== '') {
      showError('text-error', problem);
    }
    showPreviewNote('Start typing to see the lines the video will draw.');
    previewStatus.textContent = '';
    return;
  }

  const controller = new AbortController();
  previewController = controller;
  previewStatus.textContent = 'Drawing the preview…';
  try {
    const response = await fetch(previewUrl(), {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: text,
      signal: controller.signal,
    });
    const body = parseJson(await response.text());
    if (controller.signal.aborted) {
      return;
    }
    if (response.status === 200 && body && typeof body.strokes_svg === 'string') {
      const svg = importSvg(body.strokes_svg, PREVIEW_LABEL);
      if (svg) {
        previewBox.replaceChildren(svg);
      } else {
        showPreviewNote('The preview could not be shown.');
      }
      const lines = body.line_count === 1 ? '1 line' : `${body.line_count} lines`;
      previewStatus.textContent = `${body.stroke_count} pen strokes on ${lines}.`;
      return;
    }
    showPreviewNote('Fix the text to see the preview.');
    previewStatus.textContent = '';
    showServerError(response.status, body);
  } catch (error) {
    if (error.name !== 'AbortError') {
      previewStatus.textContent = 'The preview failed because the connection was lost.';
    }
  }
}

function schedulePreview() {
  window.clearTimeout(previewTimer);
  previewTimer = window.setTimeout(refreshPreview, PREVIEW_DELAY_MS);
}

textInput.addEventListener('input', () => {
  updateCount();
  clearError('form-error');
  schedulePreview();
});
sizeInput.addEventListener('change', () => {
  clearError('size-error');
  schedulePreview();
});

// ----- colours -----

function updateColours() {
  const warning = document.getElementById('colour-warning');
  warning.textContent =
    contrastRatio(backgroundInput.value, sketchInput.value) < 1.5
      ? 'These two colours are very close, so the text may be hard to see.'
      : '';
  schedulePreview();
}

backgroundInput.addEventListener('input', () => {
  clearError('background-error');
  updateColours();
});
sketchInput.addEventListener('input', () => {
  clearError('sketch-error');
  updateColours();
});

// ----- the order -----

/** Checks the whole form locally and shows each problem next to its field. Returns true when valid. */
function checkForm() {
  let valid = true;
  const problem = checkText(textInput.value);
  if (problem) {
    showError('text-error', problem);
    valid = false;
  }

  const durationProblem = checkDuration(durationInput.value.trim(), 10);
  if (durationProblem) {
    showError('duration-error', durationProblem);
    valid = false;
  }

  if (!ageInput.checked) {
    showError('age-error', AGE_MESSAGE);
    valid = false;
  }
  return valid;
}

function orderUrl() {
  const data = new FormData(form);
  const params = new URLSearchParams({
    age_confirmed: 'true',
    style: data.get('style'),
    size: data.get('size'),
    duration: durationInput.value.trim(),
    background: data.get('background'),
    sketch: data.get('sketch'),
    plan: data.get('plan') || 'single',
  });
  return `/api/text-animations?${params}`;
}

function finishOrdering() {
  ordering = false;
  submitButton.disabled = false;
  submitButton.textContent = 'Create my animation';
  form.removeAttribute('aria-busy');
}

async function placeOrder() {
  ordering = true;
  submitButton.disabled = true;
  submitButton.textContent = 'Creating…';
  form.setAttribute('aria-busy', 'true');
  submitStatus.textContent = 'Turning your text into pen strokes…';

  let response;
  let body;
  try {
    response = await fetch(orderUrl(), {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: textInput.value,
    });
    body = parseJson(await response.text());
  } catch (error) {
    finishOrdering();
    submitStatus.textContent = '';
    showError('form-error', 'The order failed because the connection was lost. Check your connection and try again.');
    return;
  }

  if (response.status === 201) {
    const link = body && typeof body.order_url === 'string' ? body.order_url : '';
    // Only a same-site order path is followed.
    if (!/^\/orders\/[A-Za-z0-9_-]+$/.test(link)) {
      finishOrdering();
      submitStatus.textContent = '';
      showError('form-error', 'The server created the order but sent no valid order link. Try again.');
      return;
    }
    submitButton.textContent = 'Order created';
    submitStatus.textContent = 'Done. Taking you to your order page…';
    window.setTimeout(() => location.assign(link), REDIRECT_DELAY_MS);
    return;
  }

  finishOrdering();
  submitStatus.textContent = '';
  showServerError(response.status, body);
  focusFirstError(form, ERROR_CONTROLS);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (ordering) {
    return;
  }
  clearAllErrors();
  if (!checkForm()) {
    focusFirstError(form, ERROR_CONTROLS);
    return;
  }
  placeOrder();
});

ageInput.addEventListener('change', () => {
  if (ageInput.checked) {
    clearError('age-error');
  }
});
durationInput.addEventListener('input', () => clearError('duration-error'));
document.getElementById('style').addEventListener('change', () => clearError('style-error'));
for (const radio of form.querySelectorAll('input[name="plan"]')) {
  radio.addEventListener('change', () => clearError('plan-error'));
}

updateCount();
updateColours();
if (textInput.value.trim() !== '') {
  schedulePreview();
}
