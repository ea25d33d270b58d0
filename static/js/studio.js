// Portrait Studio: photo choice and local preview, option checks, upload with progress, server
// errors next to their fields, the stroke preview, then the move to the order page.
// Nothing leaves the browser until the visitor submits the form.

import {
  checkDuration, contrastRatio, focusFirstError, importSvg, parseJson, toSentence,
} from './studio-common.js';

// NOTE: the server's limit is the max_upload_bytes variable (default 10 MiB). When an operator
// changes it, the server's 413 message is still shown, but this early check keeps 10 MiB.
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const ACCEPTED_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const REDIRECT_DELAY_MS = 1500;
const UPLOAD_TIMEOUT_MS = 120000;

// Upload parameter (the API's `field`) → the id of the element that shows its error.
const FIELD_ERROR_IDS = {
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
  'photo-error': 'photo',
  'style-error': 'style',
  'background-error': 'background',
  'sketch-error': 'sketch',
  'size-error': 'size',
  'duration-error': 'duration',
  'age-error': 'age',
};

const AGE_MESSAGE = 'Confirm that you are 13 years old or older.';
const BUSY_MESSAGE = 'The service is busy; try again in a minute.';

const form = document.getElementById('studio-form');
const photoInput = document.getElementById('photo');
const dropZone = document.getElementById('drop-zone');
const previewFrame = document.getElementById('photo-preview-frame');
const preview = document.getElementById('photo-preview');
const photoName = document.getElementById('photo-name');
const backgroundInput = document.getElementById('background');
const sketchInput = document.getElementById('sketch');
const swatch = document.getElementById('swatch');
const durationInput = document.getElementById('duration');
const ageInput = document.getElementById('age');
const submitButton = document.getElementById('submit');
const progress = document.getElementById('upload-progress');
const uploadStatus = document.getElementById('upload-status');

let selectedFile = null;
let previewUrl = null;
let uploading = false;

// ----- messages -----

function formatMib(bytes) {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${mib.toFixed(1)} MiB`;
}

function showError(errorId, message) {
  const element = document.getElementById(errorId);
  element.textContent = message;
  const controlId = ERROR_CONTROLS[errorId];
  if (controlId) {
    document.getElementById(controlId).setAttribute('aria-invalid', 'true');
  }
  if (errorId === 'photo-error') {
    dropZone.classList.add('has-error');
  }
}

function clearError(errorId) {
  document.getElementById(errorId).textContent = '';
  const controlId = ERROR_CONTROLS[errorId];
  if (controlId) {
    document.getElementById(controlId).removeAttribute('aria-invalid');
  }
  if (errorId === 'photo-error') {
    dropZone.classList.remove('has-error');
  }
}

function clearAllErrors() {
  for (const element of form.querySelectorAll('.field-error, .form-error')) {
    clearError(element.id);
  }
}

// ----- photo choice and local preview -----

/**
 * Checks a file the way the server does, before anything is sent. Returns an error message in the
 * server's wording, or an empty string when the file may be uploaded.
 */
function checkPhoto(file) {
  if (file.size === 0) {
    return toSentence('image is empty (0 bytes); send a JPEG, PNG, GIF or WebP file');
  }
  // An empty type means the browser could not tell, so the server decides from the bytes.
  if (file.type && !ACCEPTED_TYPES.includes(file.type)) {
    const problem = file.type.startsWith('image/')
      ? `unsupported image format ${file.type.slice('image/'.length).toUpperCase()}`
      : `unsupported file type ${file.type}`;
    return toSentence(`${problem}; send a JPEG, PNG, GIF or WebP file`);
  }
  if (file.size > MAX_UPLOAD_BYTES) {
    return toSentence(
      `image is larger than ${formatMib(MAX_UPLOAD_BYTES)} (${MAX_UPLOAD_BYTES} bytes); send a smaller photo`,
    );
  }
  return '';
}

function showPreview(file) {
  if (previewUrl) {
    URL.revokeObjectURL(previewUrl);
    previewUrl = null;
  }
  if (!file || !ACCEPTED_TYPES.includes(file.type)) {
    previewFrame.hidden = true;
    preview.removeAttribute('src');
    return;
  }
  previewUrl = URL.createObjectURL(file);
  preview.src = previewUrl;
  photoName.textContent = `${file.name} · ${formatMib(file.size)}`;
  previewFrame.hidden = false;
}

function choosePhoto(file) {
  selectedFile = file || null;
  clearError('photo-error');
  clearError('form-error');
  if (!selectedFile) {
    showPreview(null);
    return;
  }
  const problem = checkPhoto(selectedFile);
  if (problem) {
    showError('photo-error', problem);
  }
  showPreview(problem ? null : selectedFile);
}

// A photo that the browser cannot show is still sent: the server decides what it accepts.
preview.addEventListener('error', () => {
  previewFrame.hidden = true;
});

photoInput.addEventListener('change', () => {
  choosePhoto(photoInput.files[0]);
});

for (const type of ['dragenter', 'dragover']) {
  dropZone.addEventListener(type, (event) => {
    event.preventDefault();
    dropZone.classList.add('dragging');
  });
}

dropZone.addEventListener('dragleave', () => {
  dropZone.classList.remove('dragging');
});

dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  dropZone.classList.remove('dragging');
  const files = event.dataTransfer && event.dataTransfer.files;
  if (!files || files.length === 0) {
    return;
  }
  // Keep the file input in step with the dropped file, so both ways of choosing behave the same.
  try {
    const transfer = new DataTransfer();
    transfer.items.add(files[0]);
    photoInput.files = transfer.files;
  } catch (error) {
    // Older browsers cannot set input.files, and selectedFile alone is enough for the upload.
  }
  choosePhoto(files[0]);
});

// A photo dropped outside the drop zone would otherwise make the browser open it and leave the page.
for (const type of ['dragover', 'drop']) {
  window.addEventListener(type, (event) => {
    if (!dropZone.contains(event.target)) {
      event.preventDefault();
    }
  });
}

// ----- colours and the live swatch -----

function updateSwatch() {
  const background = backgroundInput.value;
  const sketch = sketchInput.value;
  document.getElementById('swatch-background').setAttribute('fill', background);
  document.getElementById('swatch-line').setAttribute('stroke', sketch);
  swatch.setAttribute('aria-label', `Colour preview: sketch colour ${sketch} on background ${background}`);

  const warning = document.getElementById('colour-warning');
  warning.textContent =
    contrastRatio(background, sketch) < 1.5
      ? 'These two colours are very close, so the drawing may be hard to see.'
      : '';
}

backgroundInput.addEventListener('input', updateSwatch);
sketchInput.addEventListener('input', updateSwatch);
updateSwatch();

// ----- checks before sending -----

/** Checks the whole form locally and shows each problem next to its field. Returns true when valid. */
function checkForm() {
  let valid = true;

  if (!selectedFile) {
    showError('photo-error', 'Choose a photo first: JPEG, PNG, GIF or WebP, at most 10 MiB.');
    valid = false;
  } else {
    const problem = checkPhoto(selectedFile);
    if (problem) {
      showError('photo-error', problem);
      valid = false;
    }
  }

  const durationProblem = checkDuration(durationInput.value.trim(), 15);
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

function uploadUrl() {
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
  return `/api/portraits?${params}`;
}

// ----- server responses -----

/** Shows an error response from POST /api/portraits next to the field it concerns. */
function showServerError(status, body) {
  const message = toSentence(body && body.error);
  const field = body && body.field;

  if (status === 413 || status === 415 || status === 422) {
    showError('photo-error', message || 'The server could not use this photo; try another one.');
    return;
  }
  if (status === 400 && field === 'age_confirmed') {
    showError('age-error', AGE_MESSAGE);
    return;
  }
  if (status === 400 && field && FIELD_ERROR_IDS[field]) {
    showError(FIELD_ERROR_IDS[field], message);
    return;
  }
  if (status === 503) {
    showError('form-error', BUSY_MESSAGE);
    return;
  }
  if (status === 400) {
    showError('form-error', message || 'The server rejected the request as invalid (400).');
    return;
  }
  showError(
    'form-error',
    `The upload failed on the server (HTTP ${status}${message ? `: ${message}` : ''}). Try again later.`,
  );
}

// ----- stroke preview -----

function showStrokePreview(markup, orderUrl) {
  const container = document.getElementById('stroke-preview');
  const svg = typeof markup === 'string'
    ? importSvg(markup, 'The lines found in your photo, which the animation will draw')
    : null;
  container.replaceChildren();
  if (svg) {
    container.append(svg);
  } else {
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = 'The line preview could not be shown, but your order was created.';
    container.append(note);
  }
  document.getElementById('order-link').href = orderUrl;
  const result = document.getElementById('result');
  result.hidden = false;
  result.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

// ----- upload -----

function finishUpload() {
  uploading = false;
  submitButton.disabled = false;
  submitButton.textContent = 'Create my animation';
  form.removeAttribute('aria-busy');
}

function handleCreated(body) {
  const orderUrl = body && typeof body.order_url === 'string' ? body.order_url : '';
  // Only a same-site order path is followed.
  if (!/^\/orders\/[A-Za-z0-9_-]+$/.test(orderUrl)) {
    finishUpload();
    showError('form-error', 'The server created the order but sent no valid order link. Try again.');
    return;
  }
  progress.value = 100;
  uploadStatus.textContent = 'Done. Taking you to your order page…';
  submitButton.textContent = 'Order created';
  showStrokePreview(body.strokes_svg, orderUrl);
  window.setTimeout(() => {
    location.assign(orderUrl);
  }, REDIRECT_DELAY_MS);
}

function upload() {
  uploading = true;
  submitButton.disabled = true;
  submitButton.textContent = 'Uploading…';
  form.setAttribute('aria-busy', 'true');
  progress.hidden = false;
  progress.value = 0;
  uploadStatus.textContent = 'Uploading your photo…';

  const request = new XMLHttpRequest();
  request.open('POST', uploadUrl());
  request.timeout = UPLOAD_TIMEOUT_MS;
  if (selectedFile.type) {
    request.setRequestHeader('Content-Type', selectedFile.type);
  }

  request.upload.addEventListener('progress', (event) => {
    if (event.lengthComputable && event.total > 0) {
      progress.value = Math.round((event.loaded / event.total) * 100);
    }
  });
  request.upload.addEventListener('load', () => {
    progress.value = 100;
    uploadStatus.textContent = 'Uploaded. Finding the lines in your photo…';
  });

  request.addEventListener('load', () => {
    const body = parseJson(request.responseText);
    if (request.status === 201) {
      handleCreated(body);
      return;
    }
    finishUpload();
    progress.hidden = true;
    uploadStatus.textContent = '';
    showServerError(request.status, body);
    focusFirstError(form, ERROR_CONTROLS);
  });
  request.addEventListener('error', () => {
    finishUpload();
    progress.hidden = true;
    uploadStatus.textContent = '';
    showError('form-error', 'The upload failed because the connection was lost. Check your connection and try again.');
  });
  request.addEventListener('timeout', () => {
    finishUpload();
    progress.hidden = true;
    uploadStatus.textContent = '';
    showError('form-error', `The upload timed out after ${UPLOAD_TIMEOUT_MS / 1000} s. Try again, or try a smaller photo.`);
  });

  request.send(selectedFile);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (uploading) {
    return;
  }
  clearAllErrors();
  if (!checkForm()) {
    focusFirstError(form, ERROR_CONTROLS);
    return;
  }
  upload();
});

ageInput.addEventListener('change', () => {
  if (ageInput.checked) {
    clearError('age-error');
  }
});

durationInput.addEventListener('input', () => clearError('duration-error'));
for (const id of ['style', 'size']) {
  document.getElementById(id).addEventListener('change', () => clearError(`${id}-error`));
}
backgroundInput.addEventListener('input', () => clearError('background-error'));
sketchInput.addEventListener('input', () => clearError('sketch-error'));
for (const radio of form.querySelectorAll('input[name="plan"]')) {
  radio.addEventListener('change', () => clearError('plan-error'));
}
