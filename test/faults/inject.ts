import { ShopError, type MessageRepository } from '../../store/index.js';

/**
 * The next outgoing message append fails as if the database had just gone away: the
 * shopper's message is stored, its reply is not (a failure between the two writes).
 */
export function failNextReply(messages: MessageRepository): void {
  const append = messages.append.bind(messages);
  messages.append = async (input) => {
    if (input.direction === 'out') {
      messages.append = append;
      throw new ShopError('unavailable', 'MongoDB is unavailable: connection closed (injected)');
    }
    return append(input);
  };
}
