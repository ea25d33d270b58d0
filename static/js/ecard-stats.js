// The e-card stats page. It reads the card's id and token from the address fragment, which browsers
// never send to a server, so the token stays out of server logs and Referer headers. It shows each
// recipient's delivery state, open counts and open timeline from `GET /api/ecards/{id}/stats`, with
// refresh and delete.

const params = new URLSearchParams(window.location.hash.slice(1));
const id = params.get('id') || '';
const token = params.get('token') || '';
const scheduledFromLink = params.get('scheduled');

const statsSection = document.getElementById('stats');
const loadError = document.getElementById('load-error');
const loadErrorText = document.getElementById('load-error-text');
const recipientsContainer = document.getElementById('recipients');
const recipientTemplate = document.getElementById('recipient-template');
const refreshButton = document.getElementById('refresh');
const refreshStatus = document.getElementById('refresh-status');
const scheduleLine = document.getElementById('schedule-line');
const deleteButton = document.getElementById('delete');
const dialog = document.getElementById('delete-dialog');
const confirmDelete = document.getElementById('confirm-delete');
const cancelDelete = document.getElementById('cancel-delete');
const deleteError = document.getElementById('delete-error');
const deletedMessage = document.getElementById('deleted-message');

const DESIGNS = { birthday: 'Birthday', thanks: 'Thank you', congrats: 'Congratulations', holiday: 'Holidays' };
const CLASSES = {
  human: 'Person',
  gmail_proxy: 'Gmail image proxy',
  apple_mail_prefetch: 'Apple Mail privacy prefetch',
  security_scanner: 'Security scanner',
  browser_view: 'Viewed in browser',
  unknown: 'Unknown',
};
const DEVICES = { desktop: 'Desktop', phone: 'Phone', tablet: 'Tablet', unknown: 'Unknown device' };
const CLIENTS = {
  gmail: 'Gmail',
  apple_mail: 'Apple Mail',
  outlook: 'Outlook',
  thunderbird: 'Thunderbird',
  yahoo_mail: 'Yahoo Mail',
  edge: 'Edge',
  opera: 'Opera',
  firefox: 'Firefox',
  chrome: 'Chrome',
  safari: 'Safari',
  unknown: 'Unknown client',
};

const apiBase = `/api/ecards/${encodeURIComponent(id)}`;
// NOTE: the stats API reads the token from the query string, so a proxy or host that logs whole
// request URLs records it. The devhost logs only the route.
const tokenQuery = `token=${encodeURIComponent(token)}`;

function label(table, value) {
  return table[value] || String(value ?? 'unknown');
}

/** Formats a time (RFC 3339 text or Unix milliseconds) in the visitor's locale, or '' when absent. */
function formatTime(value) {
  if (value === null || value === undefined || value === '') {
    return '';
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

function setTime(element, value) {
  element.textContent = formatTime(value) || '…';
  const date = new Date(value);
  if (!Number.isNaN(date.getTime())) {
    element.dateTime = date.toISOString();
  }
}

function showLoadError(message) {
  statsSection.hidden = true;
  loadErrorText.textContent = message;
  loadError.hidden = false;
}

// ----- rendering -----

/** Describes a recipient's delivery state; unknown states are shown as the server names them. */
function describeDelivery(delivery, scheduledFor) {
  const state = delivery?.state;
  if (state === 'delivered') {
    return 'Delivered to the mail provider';
  }
  if (state === 'failed') {
    return `Not delivered: ${delivery.reason || 'the mail provider gave no reason'}`;
  }
  if (state === 'scheduled' || (scheduledFor && (state === 'pending' || !state))) {
    return scheduledFor ? `Scheduled for ${formatTime(scheduledFor)}` : 'Scheduled';
  }
  if (state === 'retrying') {
    const reason = delivery.reason || 'the mail provider did not accept it yet';
    const next = formatTime(delivery.next_attempt_at_ms);
    return next ? `Not delivered yet (${reason}); trying again at ${next}` : `Not delivered yet (${reason})`;
  }
  if (state === 'pending') {
    return 'Sending';
  }
  return state ? `State: ${state}` : 'Not sent yet';
}

function fillRecipient(recipient, scheduledFor) {
  const article = recipientTemplate.content.firstElementChild.cloneNode(true);
  const slot = (name) => article.querySelector(`[data-slot="${name}"]`);
  const opens = recipient.opens || {};
  const name = String(recipient.name || recipient.id || 'Recipient');

  article.dataset.recipientId = String(recipient.id || '');
  slot('heading').textContent = recipient.email ? `${name} <${recipient.email}>` : name;
  slot('delivery').textContent = describeDelivery(recipient.delivery, scheduledFor);
  slot('human').textContent = String(opens.unique_human_opens ?? 0);
  slot('proxy').textContent = String(opens.proxy_opens ?? 0);
  slot('hits').textContent =
    String(opens.hits ?? 0) + (opens.scanner_hits ? ` (${opens.scanner_hits} by security scanners)` : '');
  slot('first').textContent = formatTime(opens.first_open_unix_ms) || 'Not yet';
  slot('last').textContent = formatTime(opens.last_open_unix_ms) || 'Not yet';
  slot('device').textContent = opens.first_open_unix_ms
    ? `${label(DEVICES, opens.device)}, ${label(CLIENTS, opens.client)}`
    : 'Not known yet';

  const timeline = recipient.timeline || { hits: [] };
  const hits = Array.isArray(timeline.hits) ? timeline.hits : [];
  slot('caption').textContent = `Image loads for ${name}, oldest first`;
  const rows = slot('rows');
  for (const hit of hits) {
    const row = document.createElement('tr');
    row.dataset.class = String(hit.class);
    const time = document.createElement('time');
    setTime(time, hit.at ?? hit.at_unix_ms);
    const cells = [time, label(CLASSES, hit.class), label(DEVICES, hit.device), label(CLIENTS, hit.client)];
    for (const content of cells) {
      const cell = document.createElement('td');
      cell.append(content);
      row.append(cell);
    }
    rows.append(row);
  }
  const notes = [];
  if (hits.length === 0) {
    notes.push('No image loads recorded yet.');
  }
  if (timeline.omitted > 0) {
    notes.push(`Only the latest ${timeline.limit} loads are listed; ${timeline.omitted} older ones are left out.`);
  }
  slot('timeline-note').textContent = notes.join(' ');
  article.querySelector('.table-scroll').hidden = hits.length === 0;
  return article;
}

function render(stats) {
  document.getElementById('design-name').textContent = label(DESIGNS, stats.design);
  setTime(document.getElementById('created-at'), stats.created_at);
  setTime(document.getElementById('expires-at'), stats.expires_at);

  const recipients = Array.isArray(stats.recipients) ? stats.recipients : [];
  // The scheduled time comes from the reply when the server sends one, else from the link.
  const scheduledFor = stats.send_at || scheduledFromLink;
  const waiting = recipients.some((recipient) => {
    const state = recipient.delivery?.state;
    return state === 'scheduled' || !state || state === 'pending';
  });
  scheduleLine.hidden = !(scheduledFor && waiting);
  scheduleLine.textContent = scheduledFor ? `Scheduled for ${formatTime(scheduledFor)}` : '';

  recipientsContainer.replaceChildren(...recipients.map((recipient) => fillRecipient(recipient, scheduledFor)));
  statsSection.hidden = false;
  loadError.hidden = true;
}

// ----- loading -----

async function load() {
  refreshButton.disabled = true;
  refreshStatus.textContent = 'Loading…';
  try {
    const response = await fetch(`${apiBase}/stats?${tokenQuery}`, {
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
    const reply = await response.json().catch(() => null);
    if (response.status === 404) {
      showLoadError('This e-card does not exist: it was deleted, it expired after 30 days, or the link is incomplete.');
      refreshStatus.textContent = '';
      return;
    }
    if (!response.ok || !reply) {
      const message = reply && typeof reply.error === 'string' ? reply.error : `HTTP ${response.status}`;
      refreshStatus.textContent = `The stats could not be loaded: ${message}. Try Refresh in a minute.`;
      return;
    }
    render(reply);
    refreshStatus.textContent = `Updated at ${new Date().toLocaleTimeString()}.`;
  } catch {
    refreshStatus.textContent = 'The stats could not be loaded because the connection failed. Try Refresh.';
  } finally {
    refreshButton.disabled = false;
  }
}

// ----- deleting -----

async function deleteCard() {
  confirmDelete.disabled = true;
  deleteError.textContent = '';
  try {
    const response = await fetch(`${apiBase}?${tokenQuery}`, { method: 'DELETE' });
    // A 404 means the card is already gone, which is what the visitor asked for.
    if (response.status === 204 || response.status === 404) {
      dialog.close();
      statsSection.hidden = true;
      deletedMessage.hidden = false;
      deletedMessage.focus();
      return;
    }
    const reply = await response.json().catch(() => null);
    const message = reply && typeof reply.error === 'string' ? reply.error : `HTTP ${response.status}`;
    deleteError.textContent = `The card was not deleted: ${message}.`;
  } catch {
    deleteError.textContent = 'The card was not deleted because the connection failed. Try again.';
  } finally {
    confirmDelete.disabled = false;
  }
}

// ----- start -----

refreshButton.addEventListener('click', load);
deleteButton.addEventListener('click', () => {
  deleteError.textContent = '';
  dialog.showModal();
  cancelDelete.focus();
});
cancelDelete.addEventListener('click', () => dialog.close());
confirmDelete.addEventListener('click', deleteCard);

if (!/^[0-9a-f]{32}$/.test(id) || !token) {
  showLoadError('This stats link is incomplete: it needs the id and token that follow the # sign. Open the full link you got after sending.');
} else {
  load();
}
