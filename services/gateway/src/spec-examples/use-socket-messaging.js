// The "Complete React Hook Example" of spec/socket-messaging.md, character for character
// (only the export at the end is added). spec-examples.e2e.spec.ts runs it against the
// system; it is not part of the gateway. The spec imports useRef without using it.
/* eslint-disable @typescript-eslint/no-unused-vars */
import { useEffect, useState, useRef } from 'react';
import io from 'socket.io-client';

function useSocketMessaging(token) {
  const [socket, setSocket] = useState(null);
  const [connected, setConnected] = useState(false);
  const [messages, setMessages] = useState([]);
  const [typingUsers, setTypingUsers] = useState(new Set());

  useEffect(() => {
    if (!token) return;

    const newSocket = io('http://localhost:3100', {
      auth: { token },
      transports: ['websocket', 'polling']
    });

    newSocket.on('connect', () => {
      setConnected(true);
      console.log('Socket connected');
    });

    newSocket.on('disconnect', () => {
      setConnected(false);
      console.log('Socket disconnected');
    });

    newSocket.on('new:message', ({ message }) => {
      setMessages(prev => [...prev, message]);
    });

    newSocket.on('typing:start', ({ userId }) => {
      setTypingUsers(prev => new Set([...prev, userId]));
    });

    newSocket.on('typing:stop', ({ userId }) => {
      setTypingUsers(prev => {
        const next = new Set(prev);
        next.delete(userId);
        return next;
      });
    });

    newSocket.on('error', ({ message }) => {
      console.error('Socket error:', message);
    });

    setSocket(newSocket);

    return () => {
      newSocket.close();
    };
  }, [token]);

  const joinConversation = (conversationId) => {
    if (socket && connected) {
      socket.emit('join:conversation', { conversationId });
    }
  };

  const sendMessage = (conversationId, text, media = []) => {
    if (socket && connected) {
      socket.emit('send:message', {
        conversationId,
        text,
        media,
        messageType: media.length > 0 ? media[0].type : 'text'
      });
    }
  };

  const startTyping = (conversationId) => {
    if (socket && connected) {
      socket.emit('typing:start', { conversationId });
    }
  };

  const stopTyping = (conversationId) => {
    if (socket && connected) {
      socket.emit('typing:stop', { conversationId });
    }
  };

  const markAsRead = (conversationId, messageIds = []) => {
    if (socket && connected) {
      socket.emit('message:read', { conversationId, messageIds });
    }
  };

  return {
    socket,
    connected,
    messages,
    typingUsers,
    joinConversation,
    sendMessage,
    startTyping,
    stopTyping,
    markAsRead
  };
}

export { useSocketMessaging };
