// Shows the server's Web Push messages while no consultant page is open; a click opens the conversation.
self.addEventListener('push', (event) => {
  const data = event.data ? event.data.json() : { title: '新客户注册', body: '' };
  event.waitUntil(self.registration.showNotification(data.title, {
    body: data.body, tag: data.conversation_id, data: { link: data.link },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow((event.notification.data && event.notification.data.link) || '/consultant/'));
});
