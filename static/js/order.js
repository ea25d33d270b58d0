// Order page (/orders/{token}): polls the order status, then shows the video, the download, the
// expiry countdown, the data export and deletion. The token is read from location.pathname and is
// only ever sent back to this site.

const POLL_INTERVAL_MS = 1000;
// Order tokens are 16 random bytes in base64url without padding: 22 characters.
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const NOT_FOUND_TEXT = 'This order does not exist or has expired.';

const statusText = document.getElementById('status');
const renderProgress = document.getElementById('render-progress');
const pollError = document.getElementById('poll-error');
const videoSection = document.getElementById('video-section');
const player = document.getElementById('player');
const download = document.getElementById('download');
const expiresAt = document.getElementById('expires-at');
const countdown = document.getElementById('countdown');
const deleteButton = document.getElementById('delete');
const dialog = document.getElementById('delete-dialog');
const confirmDelete = document.getElementById('confirm-delete');
const cancelDelete = document.getElementById('cancel-delete');
const deleteError = document.getElementById('delete-error');

let pollTimer = null;
let countdownTimer = null;
let expiryMs = null;
let finished = false;

/** Returns the token from /orders/{token}, or null when the path does not hold a valid one. */
function tokenFromPath() {
  const match = /^\/orders\/([^/]+)\/?$/.exec(location.pathname);
  if (!match) {
    return null;
  }
  let token;
  try {
    token = decodeURIComponent(match[1]);
  } catch (error) {
    return null;
  }
  return TOKEN_PATTERN.test(token) ? token : null;
}

const token = tokenFromPath();
const apiUrl = token ? `/api/orders/${token}` : null;

// ----- page states -----

function stopTimers() {
  finished = true;
  window.clearTimeout(pollTimer);
  window.clearInterval(countdownTimer);
}

function removePlayer() {
  if (player.isConnected) {
    player.pause();
    player.removeAttribute('src');
    player.load();
    player.remove();
  }
  if (download.isConnected) {
    download.remove();
  }
}

function showNotFound() {
  stopTimers();
  removePlayer();
  document.getElementById('order').hidden = true;
  const notice = document.getElementById('not-found');
  notice.hidden = false;
  document.title = 'Order not found · Smart Banner Hub';
  statusText.textContent = NOT_FOUND_TEXT;
}

function showDeleted() {
  stopTimers();
  removePlayer();
  document.getElementById('order').hidden = true;
  document.getElementById('deleted-message').hidden = false;
  document.title = 'Order deleted · Smart Banner Hub';
}

// ----- expiry -----

function formatRemaining(ms) {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(totalSeconds / 86400);
  const hours = Math.floor((totalSeconds % 86400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const parts = [];
  if (days > 0) {
    parts.push(`${days} d`);
  }
  if (days > 0 || hours > 0) {
    parts.push(`${hours} h`);
  }
  parts.push(`${minutes} min`, `${seconds} s`);
  return `${parts.join(' ')} left`;
}

function updateCountdown() {
  if (expiryMs === null) {
    return;
  }
  const remaining = expiryMs - Date.now();
  if (remaining <= 0) {
    countdown.textContent = 'Expired';
    showNotFound();
    return;
  }
  countdown.textContent = formatRemaining(remaining);
}

function setExpiry(isoTime) {
  const time = Date.parse(isoTime);
  if (!Number.isFinite(time) || time === expiryMs) {
    return;
  }
  expiryMs = time;
  expiresAt.dateTime = new Date(time).toISOString();
  expiresAt.textContent = new Date(time).toLocaleString();
  updateCountdown();
  if (countdownTimer === null) {
    countdownTimer = window.setInterval(updateCountdown, 1000);
  }
}

// ----- status -----

function describeOptions(options) {
  if (!options) {
    return '…';
  }
  const style = options.style === 'pen' ? 'Pen' : 'Epicycles';
  const seconds = Math.round(options.duration_ms / 100) / 10;
  const plan = options.plan === 'pro' ? 'Pro (kept 30 days)' : 'Single (kept 24 hours)';
  return `${style} style, ${options.width} × ${options.height}, ${seconds} s, ` +
    `${options.sketch} lines on ${options.background}, ${plan}`;
}

function showReady(videoUrl) {
  statusText.textContent = 'Ready';
  renderProgress.value = 100;
  // Only a same-site path is used as the video source.
  if (typeof videoUrl !== 'string' || !videoUrl.startsWith(`/api/orders/${token}/`)) {
    pollError.textContent = 'The video is ready, but the server sent no valid video link. Reload the page.';
    return;
  }
  if (player.getAttribute('src') !== videoUrl) {
    player.src = videoUrl;
  }
  download.href = `${videoUrl}?download=1`;
  videoSection.hidden = false;
}

function applyStatus(order) {
  setExpiry(order.expires_at);
  document.getElementById('options-summary').textContent = describeOptions(order.options);
  if (order.options && order.options.width && order.options.height) {
    // Width and height attributes give the player the video's aspect ratio before it loads.
    player.width = order.options.width;
    player.height = order.options.height;
  }

  switch (order.state) {
    case 'queued':
      statusText.textContent = 'Queued';
      renderProgress.value = 0;
      return false;
    case 'rendering': {
      const percent = Math.max(0, Math.min(100, Number(order.percent) || 0));
      statusText.textContent = `Rendering ${percent}%`;
      renderProgress.value = percent;
      return false;
    }
    case 'ready':
      showReady(order.video_url);
      return true;
    case 'failed':
      statusText.textContent = `Failed: ${order.reason || 'unknown reason'}`;
      renderProgress.removeAttribute('value');
      renderProgress.hidden = true;
      return true;
    default:
      statusText.textContent = `Unknown state ${String(order.state)}`;
      return false;
  }
}

async function poll() {
  if (finished) {
    return;
  }
  let done = false;
  try {
    const response = await fetch(apiUrl, { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (response.status === 404) {
      showNotFound();
      return;
    }
    if (response.status === 503) {
      pollError.textContent = 'The service is busy; trying again…';
    } else if (!response.ok) {
      pollError.textContent = `Checking the status failed (HTTP ${response.status}); trying again…`;
    } else {
      pollError.textContent = '';
      done = applyStatus(await response.json());
    }
  } catch (error) {
    pollError.textContent = 'The connection was lost; trying again…';
  }
  if (!done && !finished) {
    pollTimer = window.setTimeout(poll, POLL_INTERVAL_MS);
  }
}

// ----- deletion -----

function openDeleteDialog() {
  deleteError.textContent = '';
  confirmDelete.disabled = false;
  if (typeof dialog.showModal === 'function') {
    dialog.showModal();
  } else {
    dialog.setAttribute('open', '');
  }
  cancelDelete.focus();
}

function closeDeleteDialog() {
  if (typeof dialog.close === 'function') {
    dialog.close();
  } else {
    dialog.removeAttribute('open');
  }
}

async function deleteOrder() {
  confirmDelete.disabled = true;
  deleteError.textContent = '';
  try {
    const response = await fetch(apiUrl, { method: 'DELETE' });
    // A 404 means the order is already gone, which is what the visitor asked for.
    if (response.status === 204 || response.status === 404) {
      closeDeleteDialog();
      showDeleted();
      document.getElementById('deleted-message').focus();
      return;
    }
    deleteError.textContent = response.status === 503
      ? 'The service is busy; try again in a minute.'
      : `Deleting failed (HTTP ${response.status}). Try again.`;
  } catch (error) {
    deleteError.textContent = 'Deleting failed because the connection was lost. Try again.';
  }
  confirmDelete.disabled = false;
}

// ----- start -----

if (!token) {
  showNotFound();
} else {
  document.getElementById('data-export').href = `${apiUrl}/data`;
  deleteButton.addEventListener('click', openDeleteDialog);
  cancelDelete.addEventListener('click', closeDeleteDialog);
  confirmDelete.addEventListener('click', deleteOrder);
  player.addEventListener('error', () => {
    if (player.isConnected && player.getAttribute('src')) {
      pollError.textContent = 'The video could not be played here. Try the download instead.';
    }
  });
  poll();
}
