// The e-card page: sender, design, message with a live character count, 1 to 20 recipients and an
// optional send time, checked here with the server's limits before `POST /api/ecards`. Errors of
// either side appear next to their field. A created card leads to its stats page, whose address
// carries the id and token in the fragment, which browsers never send to a server.

const form = document.getElementById('ecard-form');
const LIMITS = {
  nameChars: Number(form.dataset.maxNameChars),
  messageChars: Number(form.dataset.maxMessageChars),
  minRecipients: Number(form.dataset.minRecipients),
  maxRecipients: Number(form.dataset.maxRecipients),
  scheduleDays: Number(form.dataset.maxScheduleDays),
};
const DAY_MS = 24 * 60 * 60 * 1000;
const SEND_TIMEOUT_MS = 60000;
// Characters allowed before the @ besides letters and digits, as the server's check allows them.
const LOCAL_PART_CHARACTERS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const messageInput = document.getElementById('message');
const messageCount = document.getElementById('message-count');
const recipientList = document.getElementById('recipient-list');
const recipientTemplate = document.getElementById('recipient-template');
const addRecipientButton = document.getElementById('add-recipient');
const recipientCount = document.getElementById('recipient-count');
const sendLater = document.getElementById('send-later');
const scheduleFields = document.getElementById('schedule-fields');
const sendDate = document.getElementById('send-date');
const sendTime = document.getElementById('send-time');
const sendAtHelp = document.getElementById('send-at-help');
const submitButton = document.getElementById('submit');
const sendStatus = document.getElementById('send-status');
const formError = document.getElementById('form-error');

let sending = false;

// ----- text checks, as the server makes them -----

const numberFormat = new Intl.NumberFormat('en');

/** Counts characters as the server does: Unicode code points after line-break normalising and trimming. */
function countCharacters(text) {
  return [...normalizeMessage(text)].length;
}

function normalizeMessage(text) {
  return text.replace(/\r\n?/g, '\n').trim();
}

// Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
function hasControlCharacter(text, allowed = '') {
  return [...text].some((character) => {
    if (allowed.includes(character)) {
      return false;
    }
    const code = character.codePointAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
  });
}

/** Returns the problem with a display name, or '' when it is fine. */
function checkName(name) {
  const trimmed = name.trim();
  if (!trimmed) {
    return 'is required';
  }
  if (hasControlCharacter(trimmed)) {
    return 'cannot contain a line break or control character';
  }
  const length = [...trimmed].length;
  if (length > LIMITS.nameChars) {
    return `is ${numberFormat.format(length)} characters long; the limit is ${LIMITS.nameChars}`;
  }
  return '';
}

/** Returns the problem with an email address, or '' when it passes the server's rules. */
function checkEmail(email) {
  const address = email.trim();
  if (!address) {
    return 'is required';
  }
  if (address.length > 254) {
    return 'is not a valid email address: it is longer than 254 characters';
  }
  if (/\s/.test(address) || hasControlCharacter(address)) {
    return 'is not a valid email address: it contains a space';
  }
  if (!/^[\x21-\x7e]+$/.test(address)) {
    return 'is not a valid email address: it contains non-ASCII characters';
  }
  const parts = address.split('@');
  if (parts.length !== 2) {
    return parts.length < 2
      ? 'is not a valid email address: it has no @'
      : 'is not a valid email address: it has more than one @';
  }
  const [local, domain] = parts;
  if (!local || local.length > 64 || !LOCAL_PART_CHARACTERS.test(local)) {
    return 'is not a valid email address: check the part before the @';
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return 'is not a valid email address: misplaced dot before the @';
  }
  const labels = domain.split('.');
  if (labels.length < 2) {
    return 'is not a valid email address: the domain needs a dot, such as example.com';
  }
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) {
    return 'is not a valid email address: invalid domain';
  }
  return '';
}

// ----- errors next to fields -----

/** Turns "is required" under a label into "Your name is required." */
function sentence(label, problem) {
  const text = `${label} ${problem}`.trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function setError(errorElement, control, message) {
  errorElement.textContent = message;
  if (control) {
    if (message) {
      control.setAttribute('aria-invalid', 'true');
    } else {
      control.removeAttribute('aria-invalid');
    }
  }
}

function clearErrors() {
  for (const element of form.querySelectorAll('.field-error')) {
    element.textContent = '';
  }
  for (const control of form.querySelectorAll('[aria-invalid]')) {
    control.removeAttribute('aria-invalid');
  }
  formError.textContent = '';
}

/**
 * Returns where an API field's error goes: the error element, the control to mark and a label for
 * the message. Unknown fields return null, and their message goes under the form.
 */
function errorTarget(field) {
  const fixed = {
    'sender.name': ['sender-name-error', 'sender-name', 'Your name'],
    'sender.email': ['sender-email-error', 'sender-email', 'Your email address'],
    message: ['message-error', 'message', 'The message'],
    design: ['design-error', null, 'The design'],
    send_at: ['send-at-error', 'send-date', 'The send time'],
    recipients: ['recipients-error', null, 'The recipient list'],
  };
  if (fixed[field]) {
    const [errorId, controlId, label] = fixed[field];
    return {
      error: document.getElementById(errorId),
      control: controlId ? document.getElementById(controlId) : null,
      label,
    };
  }
  const match = /^recipients\[(\d+)\]\.(name|email)$/.exec(field);
  const row = match ? recipientRows()[Number(match[1])] : undefined;
  if (!row) {
    return null;
  }
  const part = match[2];
  const what = part === 'name' ? 'name' : 'email address';
  return {
    error: row.querySelector(`[data-error="${part}"]`),
    control: row.querySelector(`[data-field="${part}"]`),
    label: `Recipient ${Number(match[1]) + 1}'s ${what}`,
  };
}

// ----- message count -----

function updateMessageCount() {
  const count = countCharacters(messageInput.value);
  const over = count > LIMITS.messageChars;
  messageCount.textContent =
    `${numberFormat.format(count)} of ${numberFormat.format(LIMITS.messageChars)} characters` +
    (over ? ` (${numberFormat.format(count - LIMITS.messageChars)} too many)` : '');
  messageCount.classList.toggle('warning', over);
}

// ----- recipients -----

function recipientRows() {
  return [...recipientList.querySelectorAll('.recipient')];
}

/** Gives every row its ids, labels and button names after a row was added or removed. */
function renumberRecipients() {
  const rows = recipientRows();
  rows.forEach((row, index) => {
    for (const part of ['name', 'email']) {
      const input = row.querySelector(`[data-field="${part}"]`);
      const label = row.querySelector(`[data-for="${part}"]`);
      const error = row.querySelector(`[data-error="${part}"]`);
      input.id = `recipient-${index}-${part}`;
      input.name = input.id;
      error.id = `${input.id}-error`;
      label.htmlFor = input.id;
      label.textContent = `Recipient ${index + 1}: ${part === 'name' ? 'name' : 'email address'}`;
      input.setAttribute('aria-describedby', error.id);
    }
    const remove = row.querySelector('.remove-recipient');
    remove.setAttribute('aria-label', `Remove recipient ${index + 1}`);
    remove.hidden = rows.length <= LIMITS.minRecipients;
  });
  recipientCount.textContent =
    `${rows.length} of ${LIMITS.maxRecipients} recipients` +
    (rows.length >= LIMITS.maxRecipients ? ' (the maximum)' : '');
}

function addRecipient({ focus = false } = {}) {
  const recipientsError = document.getElementById('recipients-error');
  if (recipientRows().length >= LIMITS.maxRecipients) {
    setError(recipientsError, null, `An e-card can go to at most ${LIMITS.maxRecipients} recipients.`);
    return;
  }
  setError(recipientsError, null, '');
  const row = recipientTemplate.content.firstElementChild.cloneNode(true);
  row.querySelector('.remove-recipient').addEventListener('click', () => removeRecipient(row));
  recipientList.append(row);
  renumberRecipients();
  if (focus) {
    row.querySelector('[data-field="name"]').focus();
  }
}

function removeRecipient(row) {
  const rows = recipientRows();
  const index = rows.indexOf(row);
  row.remove();
  setError(document.getElementById('recipients-error'), null, '');
  renumberRecipients();
  // Focus moves to the row that took the removed one's place, or to the add button.
  const next = recipientRows()[Math.min(index, recipientRows().length - 1)];
  (next ? next.querySelector('[data-field="name"]') : addRecipientButton).focus();
}

// ----- send time -----

function pad(number) {
  return String(number).padStart(2, '0');
}

/** Formats the visitor's UTC offset at `date` as RFC 3339 wants it, such as +02:00. */
function offsetText(date) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const absolute = Math.abs(minutes);
  return `${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}

/** Converts the local date and time fields to RFC 3339 with the visitor's offset, or null. */
function scheduledTime() {
  if (!sendDate.value || !sendTime.value) {
    return null;
  }
  const local = new Date(`${sendDate.value}T${sendTime.value}`);
  if (Number.isNaN(local.getTime())) {
    return null;
  }
  const text =
    `${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())}` +
    `T${pad(local.getHours())}:${pad(local.getMinutes())}:00${offsetText(local)}`;
  return { date: local, text };
}

function updateSchedule() {
  scheduleFields.hidden = !sendLater.checked;
  sendAtHelp.hidden = !sendLater.checked;
  if (sendLater.checked && !sendDate.value) {
    const inOneHour = new Date(Date.now() + 60 * 60 * 1000);
    sendDate.value = `${inOneHour.getFullYear()}-${pad(inOneHour.getMonth() + 1)}-${pad(inOneHour.getDate())}`;
    sendTime.value = `${pad(inOneHour.getHours())}:${pad(inOneHour.getMinutes())}`;
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'your time zone';
  sendAtHelp.textContent =
    `In your time zone, ${zone} (UTC${offsetText(new Date())}), at most ${LIMITS.scheduleDays} days ahead.`;
}

// ----- checking and sending -----

/** Checks every field, shows each problem next to its field and returns the request body or null. */
function collectRequest() {
  clearErrors();
  const problems = [];
  const report = (field, problem) => {
    const target = errorTarget(field);
    problems.push(target.control);
    setError(target.error, target.control, sentence(target.label, problem));
  };

  const sender = {
    name: document.getElementById('sender-name').value,
    email: document.getElementById('sender-email').value.trim(),
  };
  const senderNameProblem = checkName(sender.name);
  if (senderNameProblem) {
    report('sender.name', senderNameProblem);
  }
  const senderEmailProblem = checkEmail(sender.email);
  if (senderEmailProblem) {
    report('sender.email', senderEmailProblem);
  }

  const design = form.querySelector('input[name="design"]:checked');
  if (!design) {
    report('design', 'is not chosen; pick one of the designs');
  }

  const message = messageInput.value;
  const length = countCharacters(message);
  if (length === 0) {
    report('message', 'is required');
  } else if (hasControlCharacter(normalizeMessage(message), '\n\t')) {
    report('message', 'contains a control character other than a line break or tab');
  } else if (length > LIMITS.messageChars) {
    report(
      'message',
      `is ${numberFormat.format(length)} characters long; the limit is ${numberFormat.format(LIMITS.messageChars)}`,
    );
  }

  const rows = recipientRows();
  const recipients = [];
  const seen = new Map();
  rows.forEach((row, index) => {
    const name = row.querySelector('[data-field="name"]').value;
    const email = row.querySelector('[data-field="email"]').value.trim();
    const nameProblem = checkName(name);
    if (nameProblem) {
      report(`recipients[${index}].name`, nameProblem);
    }
    const emailProblem = checkEmail(email);
    const key = email.toLowerCase();
    if (emailProblem) {
      report(`recipients[${index}].email`, emailProblem);
    } else if (seen.has(key)) {
      report(`recipients[${index}].email`, `repeats the address of recipient ${seen.get(key) + 1}`);
    }
    if (key && !seen.has(key)) {
      seen.set(key, index);
    }
    recipients.push({ name, email });
  });
  if (rows.length < LIMITS.minRecipients) {
    report('recipients', `needs at least ${LIMITS.minRecipients} recipient; add one`);
  } else if (rows.length > LIMITS.maxRecipients) {
    report('recipients', `has more than ${LIMITS.maxRecipients} recipients; remove some`);
  }

  const body = { sender, recipients, message, design: design ? design.value : '' };
  if (sendLater.checked) {
    const scheduled = scheduledTime();
    if (!scheduled) {
      report('send_at', 'needs both a date and a time');
    } else if (scheduled.date.getTime() <= Date.now()) {
      report('send_at', 'is in the past; choose a later time or untick "Send later"');
    } else if (scheduled.date.getTime() - Date.now() > LIMITS.scheduleDays * DAY_MS) {
      report('send_at', `is more than ${LIMITS.scheduleDays} days ahead`);
    } else {
      body.send_at = scheduled.text;
    }
  }

  if (problems.length > 0) {
    const first = problems.find((control) => control) || form.querySelector('[aria-invalid="true"]');
    first?.focus();
    formError.textContent =
      problems.length === 1 ? 'Correct the field marked above.' : `Correct the ${problems.length} fields marked above.`;
    return null;
  }
  return body;
}

/** Shows a `400` reply's field errors next to their fields; returns false when it had none. */
function showServerErrors(reply) {
  const fields = Array.isArray(reply?.fields) ? reply.fields : [];
  const leftOver = [];
  let firstControl = null;
  for (const { field, message } of fields) {
    const target = typeof field === 'string' ? errorTarget(field) : null;
    const text = String(message || '');
    if (!target) {
      leftOver.push(text);
      continue;
    }
    // The server's message starts with the field path, which the label replaces.
    const problem = text.startsWith(`${field} `) ? text.slice(field.length + 1) : text;
    const shown = target.error.textContent ? `${target.error.textContent} ` : '';
    setError(target.error, target.control, shown + sentence(target.label, problem));
    firstControl ||= target.control;
  }
  if (fields.length === 0) {
    return false;
  }
  formError.textContent = leftOver.length
    ? leftOver.join(' ')
    : 'The server did not accept the card; correct the fields marked above.';
  firstControl?.focus();
  return true;
}

/** Returns the stats page address for a created card, or null when the reply lacks a usable link. */
function statsPageUrl(created) {
  const id = typeof created?.id === 'string' ? created.id : '';
  const statsUrl = typeof created?.stats_url === 'string' ? created.stats_url : '';
  const query = statsUrl.split('?')[1] || '';
  const token = new URLSearchParams(query).get('token');
  if (!/^[0-9a-f]{32}$/.test(id) || !token) {
    return null;
  }
  const fragment = new URLSearchParams({ id, token });
  // `send_at` is set only for a card that waits for its time.
  if (typeof created.send_at === 'string' && created.send_at) {
    fragment.set('scheduled', created.send_at);
  }
  return `/cards/stats#${fragment}`;
}

async function send(body) {
  const controller = new AbortController();
  const timer = window.setTimeout(() => controller.abort(), SEND_TIMEOUT_MS);
  try {
    return await fetch('/api/ecards', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
  } finally {
    window.clearTimeout(timer);
  }
}

async function submit(event) {
  event.preventDefault();
  if (sending) {
    return;
  }
  const body = collectRequest();
  if (!body) {
    return;
  }

  sending = true;
  submitButton.disabled = true;
  sendStatus.textContent = body.send_at ? 'Scheduling your card…' : 'Sending your card…';
  try {
    const response = await send(body);
    const reply = await response.json().catch(() => null);
    if (response.status === 201) {
      const next = statsPageUrl(reply);
      if (!next) {
        formError.textContent = 'The card was accepted, but the server sent no usable stats link.';
        return;
      }
      sendStatus.textContent = body.send_at ? 'Scheduled. Opening the stats page…' : 'Sent. Opening the stats page…';
      window.location.assign(next);
      return;
    }
    if (response.status === 400 && showServerErrors(reply)) {
      return;
    }
    const message = reply && typeof reply.error === 'string' ? reply.error : `HTTP ${response.status}`;
    formError.textContent = sentence('The card was not sent:', message);
  } catch (error) {
    formError.textContent =
      error.name === 'AbortError'
        ? `The server did not answer within ${SEND_TIMEOUT_MS / 1000} s. Check the stats later or try again.`
        : 'The card could not be sent because the connection failed. Check your connection and try again.';
  } finally {
    sending = false;
    submitButton.disabled = false;
    if (formError.textContent) {
      sendStatus.textContent = '';
    }
  }
}

// ----- start -----

messageInput.addEventListener('input', updateMessageCount);
addRecipientButton.addEventListener('click', () => addRecipient({ focus: true }));
sendLater.addEventListener('change', updateSchedule);
form.addEventListener('submit', submit);
addRecipient();
updateMessageCount();
updateSchedule();
